package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.sampling.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerationTest {
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz";

    private static GenerationRequest greedy(String prompt, int maxTokens, String... stops) {
        return GenerationRequest.builder(prompt).maxTokens(maxTokens).sampling(SamplingParams.greedy()).stop(stops)
                .build();
    }

    /** Generates through the listener, checks the streamed text adds up to the result, returns both. */
    private record Streamed(GenerationResult result, List<Integer> ids, List<String> pieces) {
    }

    private static Streamed stream(Model model, GenerationRequest request) {
        List<Integer> ids = new ArrayList<>();
        List<String> pieces = new ArrayList<>();
        GenerationResult r = model.generate(request, (id, text) -> {
            ids.add(id);
            pieces.add(text);
        });
        assertEquals(String.join("", pieces), r.text(), "streamed text = result text");
        assertArrayEquals(ids.stream().mapToInt(Integer::intValue).toArray(), r.tokens(), "streamed ids = result ids");
        return new Streamed(r, ids, pieces);
    }

    @Test
    void feedsThePromptAsOneBatchThenOneTokenAtATime() {
        ScriptedLanguageModel lm = ScriptedLanguageModel.writing(ALPHABET, true, 64);
        try (Model model = FixtureModels.wrap(lm)) {
            Streamed s = stream(model, greedy("ab", 5));
            GenerationResult r = s.result();
            // BOS + "ab" = 3 tokens fed, so the model continues at script[3] = 'd'
            assertArrayEquals(new int[] {CharTokenizer.BOS, CharTokenizer.id('a'), CharTokenizer.id('b')}, r.promptTokens());
            assertArrayEquals(CharTokenizer.ids("defgh"), r.tokens());
            assertEquals("defgh", r.text());
            assertEquals(List.of("d", "e", "f", "g", "h"), s.pieces());
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals(List.of(3, 1, 1, 1, 1), lm.feedSizes); // the last token is never fed
            assertEquals(3, r.timings().promptTokens());
            assertEquals(5, r.timings().generatedTokens());
            assertTrue(r.timings().promptMillis() >= 0 && r.timings().decodeMillis() >= 0);
            assertEquals(0, lm.openSessions.get(), "the one-shot session is closed");
        }
    }

    @Test
    void noBosWhenTheTokenizerDoesNotWantIt() {
        try (Model model = FixtureModels.wrap(ScriptedLanguageModel.writing(ALPHABET, false, 64))) {
            GenerationResult r = model.generate(greedy("ab", 3));
            assertArrayEquals(CharTokenizer.ids("ab"), r.promptTokens());
            assertEquals("cde", r.text());
        }
    }

    @Test
    void stopsAtTheEndOfGenerationToken() {
        int[] script = CharTokenizer.ids("abcdef");
        script[5] = CharTokenizer.EOS;
        try (Model model = FixtureModels.wrap(new ScriptedLanguageModel(script, true, 64, 0))) {
            Streamed s = stream(model, greedy("a", 50));
            assertEquals(FinishReason.STOP_TOKEN, s.result().finishReason());
            assertEquals("cde", s.result().text());
            int[] expected = {CharTokenizer.id('c'), CharTokenizer.id('d'), CharTokenizer.id('e'), CharTokenizer.EOS};
            assertArrayEquals(expected, s.result().tokens());
            assertEquals("", s.pieces().getLast());
        }
    }

    @Test
    void stopStringSpanningTokensIsNeitherStreamedNorReturned() {
        try (Model model = FixtureModels.wrap(ScriptedLanguageModel.writing(ALPHABET, true, 64))) {
            Streamed s = stream(model, greedy("ab", 50, "fgh"));
            assertEquals(FinishReason.STOP_STRING, s.result().finishReason());
            assertEquals("de", s.result().text());
            assertEquals(List.of("d", "e", "", "", ""), s.pieces());
            assertArrayEquals(CharTokenizer.ids("defgh"), s.result().tokens());
        }
    }

    @Test
    void aHeldStopPrefixComesOutAtTheTokenLimit() {
        try (Model model = FixtureModels.wrap(ScriptedLanguageModel.writing(ALPHABET, true, 64))) {
            Streamed s = stream(model, greedy("ab", 4, "fgX"));
            assertEquals(FinishReason.LENGTH, s.result().finishReason());
            assertEquals("defg", s.result().text());
            assertEquals(List.of("d", "e", "", "fg"), s.pieces());
        }
    }

    @Test
    void incompleteUtf8IsHeldUntilTheCharacterIsComplete() {
        int[] script = {CharTokenizer.id('x'), CharTokenizer.id('x'), CharTokenizer.BYTE_C3, CharTokenizer.BYTE_A9,
                CharTokenizer.id('!')};
        try (Model model = FixtureModels.wrap(new ScriptedLanguageModel(script, true, 64, 0))) {
            Streamed s = stream(model, greedy("a", 3));
            assertEquals(List.of("", "é", "!"), s.pieces());
            assertEquals("é!", s.result().text());
        }
    }

    @Test
    void stopsWhenTheContextIsFull() {
        ScriptedLanguageModel lm = ScriptedLanguageModel.writing(ALPHABET, true, 6);
        try (Model model = FixtureModels.wrap(lm); Session session = model.newSession()) {
            assertEquals(6, session.contextLength());
            GenerationResult r = session.generate(greedy("ab", 100));
            assertEquals(FinishReason.CONTEXT, r.finishReason());
            // 3 prompt tokens; tokens at positions 3, 4, 5 are fed, the 4th generated one has no room
            assertEquals("defg", r.text());
            assertEquals(6, session.cachedTokens());
            assertThrows(FlashjException.class, () -> session.generate(greedy("abcdefghij", 1)));
        }
    }

    @Test
    void oneShotCacheIsSizedToTheRequest() {
        ScriptedLanguageModel lm = ScriptedLanguageModel.writing(ALPHABET, true, 1000);
        try (Model model = FixtureModels.wrap(lm)) {
            try (Generation g = model.stream(greedy("ab", 4))) {
                g.next();
                assertEquals(1, lm.openSessions.get());
            }
            assertEquals(0, lm.openSessions.get());
        }
    }

    @Test
    void sessionsReuseTheCachedPrefix() {
        ScriptedLanguageModel lm = ScriptedLanguageModel.writing(ALPHABET, true, 64);
        try (Model model = FixtureModels.wrap(lm); Session session = model.newSession()) {
            GenerationResult first = session.generate(greedy("ab", 3));
            assertEquals("def", first.text());
            assertEquals(List.of(3, 1, 1), lm.feedSizes);
            assertEquals(5, session.cachedTokens()); // BOS a b d e; 'f' was never fed
            lm.feedSizes.clear();

            GenerationResult second = session.generate(greedy("abdefgh", 2));
            assertEquals(3, second.timings().promptTokens(), "only f, g, h run again");
            assertEquals(List.of(3, 1), lm.feedSizes);
            assertEquals("ij", second.text());
            lm.feedSizes.clear();

            GenerationResult diverging = session.generate(greedy("abz", 1));
            assertEquals(1, diverging.timings().promptTokens(), "BOS a b shared, z runs");
            GenerationResult same = session.generate(greedy("abz", 1));
            assertEquals(1, same.timings().promptTokens(), "the last prompt token always runs");
            assertEquals(diverging.text(), same.text());
        }
    }

    @Test
    void sameSeedSameTokensWithTemperature() {
        try (Model model = FixtureModels.wrap(ScriptedLanguageModel.writing(ALPHABET, true, 256))) {
            SamplingParams p = new SamplingParams(3f, 0, 1f, 0f, 1f, 64, 1234);
            GenerationRequest request = GenerationRequest.builder("ab").maxTokens(40).sampling(p).build();
            GenerationResult a = model.generate(request);
            GenerationResult b = model.generate(request);
            assertArrayEquals(a.tokens(), b.tokens());
            GenerationResult greedyRun = model.generate(greedy("ab", 40));
            assertFalse(java.util.Arrays.equals(a.tokens(), greedyRun.tokens()), "temperature 3 must wander");
        }
    }

    @Test
    void listenerCanCancelThroughTheSession() {
        try (Model model = FixtureModels.wrap(ScriptedLanguageModel.writing(ALPHABET, true, 64));
             Session session = model.newSession()) {
            List<Integer> seen = new ArrayList<>();
            GenerationResult r = session.generate(greedy("ab", 20), (id, text) -> {
                seen.add(id);
                if (seen.size() == 3) {
                    session.cancel();
                }
            });
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertEquals("def", r.text());
            assertEquals(3, r.tokens().length);
            // the session stays usable
            assertEquals(FinishReason.LENGTH, session.generate(greedy("ab", 2)).finishReason());
        }
    }

    @Test
    void cancelFromAnotherThread() throws Exception {
        ScriptedLanguageModel lm = new ScriptedLanguageModel(CharTokenizer.ids(ALPHABET), true, 4096, 5);
        try (Model model = FixtureModels.wrap(lm); Session session = model.newSession();
             ExecutorService pool = Executors.newSingleThreadExecutor()) {
            CountDownLatch twoTokens = new CountDownLatch(2);
            Future<GenerationResult> running = pool.submit(() ->
                    session.generate(greedy("ab", 4000), (id, text) -> twoTokens.countDown()));
            assertTrue(twoTokens.await(10, TimeUnit.SECONDS));
            session.cancel();
            GenerationResult r = running.get(10, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertTrue(r.tokens().length >= 2 && r.tokens().length < 4000);
        }
    }

    @Test
    void pullFormIteratesAndCancels() {
        try (Model model = FixtureModels.wrap(ScriptedLanguageModel.writing(ALPHABET, true, 64))) {
            try (Generation g = model.stream(greedy("ab", 10))) {
                assertEquals(new GeneratedToken(CharTokenizer.id('d'), "d"), g.next());
                assertEquals("e", g.next().text());
                g.cancel();
                assertFalse(g.hasNext());
                assertTrue(g.isFinished());
                GenerationResult r = g.result();
                assertEquals(FinishReason.CANCELLED, r.finishReason());
                assertEquals("de", r.text());
            }
            try (Generation g = model.stream(greedy("ab", 6))) {
                assertEquals("defghi", g.stream().map(GeneratedToken::text).reduce("", String::concat));
                assertEquals(FinishReason.LENGTH, g.result().finishReason());
            }
        }
    }

    @Test
    void concurrentSessionsAreIndependent() throws Exception {
        try (Model model = FixtureModels.wrap(new ScriptedLanguageModel(CharTokenizer.ids(ALPHABET), true, 256, 1));
             ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String prompt = ALPHABET.substring(0, 1 + i);
                results.add(pool.submit(() -> {
                    try (Session s = model.newSession()) {
                        return s.generate(greedy(prompt, 5)).text();
                    }
                }));
            }
            for (int i = 0; i < 8; i++) {
                int start = i + 2; // BOS + (i + 1) prompt characters
                assertEquals(ALPHABET.substring(start, start + 5), results.get(i).get(10, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void aClosedModelRefusesEverything() {
        ScriptedLanguageModel lm = ScriptedLanguageModel.writing(ALPHABET, true, 64);
        Model model = FixtureModels.wrap(lm);
        Session session = model.newSession();
        model.close();
        assertTrue(lm.isClosed());
        assertEquals(0, lm.openSessions.get(), "closing the model closed its sessions");
        for (Runnable call : List.<Runnable>of(() -> model.generate(greedy("a", 1)), model::newSession,
                () -> session.generate(greedy("a", 1)), model::chatTemplate)) {
            FlashjException e = assertThrows(FlashjException.class, call::run);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
        model.close(); // idempotent
        session.close();
    }

    @Test
    void closingTheModelDuringAGenerationStopsItCleanly() throws Exception {
        ScriptedLanguageModel lm = new ScriptedLanguageModel(CharTokenizer.ids(ALPHABET), true, 4096, 3);
        Model model = FixtureModels.wrap(lm);
        try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
            CountDownLatch started = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Future<?> running = pool.submit(() -> {
                try {
                    model.generate(greedy("ab", 4000), (id, text) -> started.countDown());
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            assertTrue(started.await(10, TimeUnit.SECONDS));
            model.close();
            running.get(10, TimeUnit.SECONDS);
            assertTrue(failure.get() instanceof FlashjException, String.valueOf(failure.get()));
            assertFalse(lm.usedAfterClose.get(), "no model pass after close");
        }
    }

    @Test
    void badPromptsAreRefusedWithAReason() {
        try (Model model = FixtureModels.wrap(ScriptedLanguageModel.writing(ALPHABET, false, 8))) {
            assertTrue(assertThrows(FlashjException.class, () -> model.generate(greedy("", 3)))
                    .getMessage().contains("empty"));
            assertTrue(assertThrows(FlashjException.class, () -> model.generate(greedy("abcdefghijk", 3)))
                    .getMessage().contains("11 tokens"));
        }
        assertThrows(FlashjException.class, () -> greedy("a", 0));
        assertThrows(FlashjException.class, () -> greedy("a", 1, ""));
    }

    @Test
    void chatTemplateComesFromTheMetadata() {
        ScriptedLanguageModel lm = ScriptedLanguageModel.writing(ALPHABET, true, 64);
        try (Model model = FixtureModels.wrap(lm, 64, Map.of("tokenizer.chat_template", "{{ '<|im_start|>' }}"))) {
            assertEquals("{{ '<|im_start|>' }}", model.chatTemplate().orElseThrow());
        }
        try (Model model = FixtureModels.wrap(lm)) {
            assertTrue(model.chatTemplate().isEmpty());
        }
    }
}
