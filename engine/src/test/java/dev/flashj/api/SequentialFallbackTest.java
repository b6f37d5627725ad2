package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.sampling.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Model#submit} on a backend without batched decoding: the same API, one request after another. */
class SequentialFallbackTest {
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz";

    private static GenerationRequest request(String prompt, int maxTokens) {
        return GenerationRequest.builder(prompt).maxTokens(maxTokens).sampling(SamplingParams.greedy()).build();
    }

    @Test
    void resultsEqualOneGenerationAtATime() {
        try (Model model = FixtureModels.wrap(ScriptedLanguageModel.writing(ALPHABET, true, 64))) {
            assertFalse(model.supportsBatching());
            List<GenerationRequest> requests = List.of(request("ab", 5), request("xyz", 3), request("q", 9));
            List<GenerationResult> batched = model.generateBatch(requests);
            for (int i = 0; i < requests.size(); i++) {
                GenerationResult alone = model.generate(requests.get(i));
                assertArrayEquals(alone.tokens(), batched.get(i).tokens(), "request " + i);
                assertEquals(alone.text(), batched.get(i).text());
            }
            assertTrue(model.submit(requests.getFirst()).events().isEmpty(), "no scheduler, no events");
        }
    }

    @Test
    void closingTheModelFailsWhatDidNotRun() {
        Model model = FixtureModels.wrap(new ScriptedLanguageModel(
                CharTokenizer.ids(ALPHABET), true, 64, 5));
        List<BatchHandle> handles = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            handles.add(model.submit(request("a", 40)));
        }
        model.close();
        BatchHandle last = handles.getLast();
        CompletionException e = assertThrows(CompletionException.class, () -> last.result().join());
        assertInstanceOf(FlashjException.class, e.getCause());
        assertThrows(FlashjException.class, () -> model.submit(request("a", 1)));
    }
}
