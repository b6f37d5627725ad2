package dev.flashj.model.cpu;

import dev.flashj.FlashjException;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuLlamaModelTest {
    private static CpuThreads threads;

    @BeforeAll
    static void startThreads() {
        threads = new CpuThreads(2);
    }

    @AfterAll
    static void stopThreads() {
        threads.close();
    }

    private static int[] randomTokens(int n, int vocab, long seed) {
        Random rnd = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(vocab);
        }
        return t;
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static void assertClose(double[] expected, float[] actual, int actualOffset, double relTol, String what) {
        double tol = relTol * Math.max(1, maxAbs(expected));
        for (int i = 0; i < expected.length; i++) {
            float a = actual[actualOffset + i];
            assertTrue(Math.abs(expected[i] - a) <= tol,
                    what + " logit " + i + ": expected " + expected[i] + ", got " + a + " (tolerance " + tol + ")");
        }
    }

    static Stream<Arguments> variants() {
        List<Arguments> out = new ArrayList<>();
        for (RopeStyle style : RopeStyle.values()) {
            for (boolean tied : new boolean[]{false, true}) {
                for (boolean bias : new boolean[]{false, true}) {
                    out.add(Arguments.of(style, new RopeScaling.None(), tied, bias));
                }
            }
        }
        out.add(Arguments.of(RopeStyle.HALF, new RopeScaling.Linear(2f), false, false));
        out.add(Arguments.of(RopeStyle.INTERLEAVED, new RopeScaling.Llama3(8f, 1f, 4f, 16), true, false));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} tied={2} bias={3}")
    @MethodSource("variants")
    void logitsOfEveryPositionMatchFloat64Reference(RopeStyle style, RopeScaling scaling, boolean tied, boolean bias) {
        TinyLlama tiny = TinyLlama.random(TinyLlama.smallConfig(style, scaling, tied, bias), 42);
        int[] tokens = randomTokens(23, tiny.config.vocabSize(), 5);
        double[][] ref = new ReferenceLlama(tiny).forward(tokens);
        int vocab = tiny.config.vocabSize();
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads);
             CpuLlamaSession session = model.newSession(40)) {
            float[] all = new float[tokens.length * vocab];
            session.feedAll(tokens, 0, tokens.length, all, 0);
            assertEquals(tokens.length, session.position());
            for (int t = 0; t < tokens.length; t++) {
                assertClose(ref[t], all, t * vocab, 1e-4, "position " + t);
            }
            // feed() on a fresh sequence returns the last position's logits.
            session.truncate(0);
            float[] last = session.feed(tokens, 0, tokens.length);
            assertClose(ref[tokens.length - 1], last, 0, 1e-4, "feed, last position");
        }
    }

    @Test
    void prefillAsBatchEqualsTokenByToken() {
        TinyLlama tiny = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.INTERLEAVED, new RopeScaling.None(), false, true), 3);
        int[] tokens = randomTokens(30, tiny.config.vocabSize(), 9);
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads);
             CpuLlamaSession batch = model.newSession(64);
             CpuLlamaSession single = model.newSession(64)) {
            // A 17-token prefill, then a 13-token batch on top of the cached prefix.
            batch.feed(tokens, 0, 17);
            float[] batched = batch.feed(tokens, 17, 13).clone();
            float[] stepped = null;
            for (int i = 0; i < tokens.length; i++) {
                stepped = single.feed(tokens, i, 1);
                assertEquals(i + 1, single.position());
            }
            assertEquals(30, batch.position());
            assertArrayClose(stepped, batched, 1e-5);
        }
    }

    @Test
    void weightsInHugePagesGiveTheSameLogitsAsTheFileMapping() {
        for (boolean tied : new boolean[]{true, false}) {
            TinyLlama tiny = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.HALF, new RopeScaling.None(), tied, false), 5);
            int[] tokens = randomTokens(12, tiny.config.vocabSize(), 2);
            try (CpuLlamaModel mapped = CpuLlamaModel.load(tiny.toModelFile(), threads, CpuLlamaModel.DEFAULT_KV_BUDGET,
                         16, WeightMemory.FILE_MAPPING);
                 CpuLlamaModel copied = CpuLlamaModel.load(tiny.toModelFile(), threads, CpuLlamaModel.DEFAULT_KV_BUDGET,
                         16, WeightMemory.HUGE_PAGES);
                 CpuLlamaSession a = mapped.newSession(32);
                 CpuLlamaSession b = copied.newSession(32)) {
                assertArrayEquals(a.feed(tokens, 0, 11), b.feed(tokens, 0, 11), "prefill, tied " + tied);
                assertArrayEquals(a.feed(tokens, 11, 1), b.feed(tokens, 11, 1), "decode, tied " + tied);
            }
        }
    }

    @Test
    void promptsLongerThanOneChunkAreFedInChunks() {
        LlamaConfig c = TinyLlama.smallConfig(RopeStyle.HALF, new RopeScaling.None(), true, false);
        TinyLlama tiny = TinyLlama.random(c, 8);
        int n = CpuLlamaModel.MAX_PREFILL_CHUNK + 20;
        int[] tokens = randomTokens(n, c.vocabSize(), 10);
        double[][] ref = new ReferenceLlama(tiny).forward(tokens);
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads);
             CpuLlamaSession session = model.newSession(c.contextLength())) {
            float[] logits = session.feed(tokens, 0, n);
            assertEquals(n, session.position());
            assertClose(ref[n - 1], logits, 0, 1e-4, "after " + n + " tokens");
            float[] all = new float[n * c.vocabSize()];
            session.truncate(0);
            session.feedAll(tokens, 0, n, all, 0);
            for (int t : new int[]{0, 100, 255, 256, 257, n - 1}) {
                assertClose(ref[t], all, t * c.vocabSize(), 1e-4, "feedAll position " + t);
            }
        }
    }

    @Test
    void halfStyleOnHfPermutedWeightsEqualsInterleavedOnMetaWeights() {
        for (boolean bias : new boolean[]{false, true}) {
            TinyLlama meta = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.INTERLEAVED, new RopeScaling.None(), false, bias), 17);
            TinyLlama hf = meta.permutedToHf();
            assertEquals(RopeStyle.HALF, hf.config.rope().style());
            int[] tokens = randomTokens(19, meta.config.vocabSize(), 2);
            try (CpuLlamaModel a = CpuLlamaModel.load(meta.toModelFile(), threads);
                 CpuLlamaModel b = CpuLlamaModel.load(hf.toModelFile(), threads);
                 CpuLlamaSession sa = a.newSession(32);
                 CpuLlamaSession sb = b.newSession(32)) {
                assertArrayClose(sa.feed(tokens, 0, tokens.length), sb.feed(tokens, 0, tokens.length), 1e-5);
            }
            // And without permuting, HALF is a different model: the test above is not vacuous.
            TinyLlama unpermutedHalf = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.HALF, new RopeScaling.None(), false, bias), 17);
            try (CpuLlamaModel a = CpuLlamaModel.load(meta.toModelFile(), threads);
                 CpuLlamaModel b = CpuLlamaModel.load(unpermutedHalf.toModelFile(), threads)) {
                float[] la = a.newSession(32).feed(tokens, 0, tokens.length).clone();
                float[] lb = b.newSession(32).feed(tokens, 0, tokens.length);
                double diff = 0;
                for (int i = 0; i < la.length; i++) {
                    diff = Math.max(diff, Math.abs(la[i] - lb[i]));
                }
                assertTrue(diff > 1e-2, "styles should differ without the permutation, max diff " + diff);
            }
        }
    }

    @Test
    void truncateRewindsTheSequence() {
        TinyLlama tiny = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.INTERLEAVED, new RopeScaling.None(), false, false), 4);
        int[] a = randomTokens(12, tiny.config.vocabSize(), 1);
        int[] b = randomTokens(6, tiny.config.vocabSize(), 2);
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads);
             CpuLlamaSession s = model.newSession(20);
             CpuLlamaSession fresh = model.newSession(20)) {
            s.feed(a, 0, 12);
            s.truncate(5);
            assertEquals(5, s.position());
            float[] got = s.feed(b, 0, 6).clone();
            fresh.feed(a, 0, 5);
            // The prefix ran as one batch of 12 here and of 5 there: matmul rounding may differ slightly.
            assertArrayClose(fresh.feed(b, 0, 6), got, 1e-5);
            assertThrows(FlashjException.class, () -> s.truncate(12));
            assertThrows(FlashjException.class, () -> s.truncate(-1));
        }
    }

    @Test
    void rejectsBadInputWithClearMessages() {
        TinyLlama tiny = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.INTERLEAVED, new RopeScaling.None(), false, false), 4);
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads);
             CpuLlamaSession s = model.newSession(8)) {
            var e = assertThrows(FlashjException.class, () -> s.feed(new int[]{1, 97}, 0, 2));
            assertTrue(e.getMessage().contains("97") && e.getMessage().contains("vocabulary"), e.getMessage());
            assertThrows(FlashjException.class, () -> s.feed(new int[]{-1}, 0, 1));
            assertEquals(0, s.position());
            s.feed(new int[]{1, 2, 3, 4, 5, 6}, 0, 6);
            e = assertThrows(FlashjException.class, () -> s.feed(new int[]{1, 2, 3}, 0, 3));
            assertTrue(e.getMessage().contains("exceed"), e.getMessage());
            assertEquals(6, s.position());
            assertThrows(FlashjException.class, () -> s.feed(new int[]{1, 2}, 1, 2));
            assertThrows(FlashjException.class, () -> s.feed(new int[]{1, 2}, 0, 0));
            assertThrows(FlashjException.class, () -> s.feed(null, 0, 1));
            assertThrows(FlashjException.class, () -> s.feedAll(new int[]{1}, 0, 1, new float[10], 0));
            assertThrows(FlashjException.class, () -> model.newSession(0));
            assertThrows(FlashjException.class, () -> model.newSession(tiny.config.contextLength() + 1));
            assertTrue(model.deviceDescription().startsWith("cpu (2 threads, "), model.deviceDescription());
        }
    }

    @Test
    void loadNamesAMissingOrMisshapedWeight() {
        TinyLlama tiny = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.INTERLEAVED, new RopeScaling.None(), false, false), 4);
        var missing = new LinkedHashMap<>(tiny.weights);
        missing.remove(LlamaTensorNames.ffnUp(2));
        var e = assertThrows(FlashjException.class,
                () -> CpuLlamaModel.load(new ArenaModelFile(tiny.config, missing), threads));
        assertTrue(e.getMessage().contains("blk.2.ffn_up.weight") && e.getMessage().contains("missing"), e.getMessage());

        var wrong = new LinkedHashMap<>(tiny.weights);
        wrong.put(LlamaTensorNames.key(1), new TinyLlama.Weight(new long[]{48, 16}, new float[48 * 16]));
        e = assertThrows(FlashjException.class,
                () -> CpuLlamaModel.load(new ArenaModelFile(tiny.config, wrong), threads));
        assertTrue(e.getMessage().contains("blk.1.attn_k.weight") && e.getMessage().contains("[16, 48]"), e.getMessage());

        var untiedWithoutHead = new LinkedHashMap<>(tiny.weights);
        untiedWithoutHead.remove(LlamaTensorNames.OUTPUT);
        e = assertThrows(FlashjException.class,
                () -> CpuLlamaModel.load(new ArenaModelFile(tiny.config, untiedWithoutHead), threads));
        assertTrue(e.getMessage().contains("output.weight"), e.getMessage());
    }

    private static void assertArrayClose(float[] expected, float[] actual, double relTol) {
        assertEquals(expected.length, actual.length);
        double m = 0;
        for (float v : expected) {
            m = Math.max(m, Math.abs(v));
        }
        double tol = relTol * Math.max(1, m);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol,
                    "element " + i + ": " + expected[i] + " vs " + actual[i] + " " + Arrays.toString(new double[]{tol}));
        }
    }
}
