package dev.flashj.model.cpu;

import dev.flashj.FlashjException;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.kv.KvBudget;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU model on its paged KV cache: block sizes, prefix sharing between sessions, the budget. */
class PagedKvSessionTest {
    private static CpuThreads threads;

    @BeforeAll
    static void start() {
        threads = new CpuThreads(2);
    }

    @AfterAll
    static void stop() {
        threads.close();
    }

    static int[] randomTokens(int n, int vocab, long seed) {
        Random rnd = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(vocab);
        }
        return t;
    }

    static void assertClose(double[] expected, float[] actual, double relTol, String what) {
        double max = 1;
        for (double e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= relTol * max,
                    what + " logit " + i + ": " + actual[i] + " vs " + expected[i]);
        }
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {1, 3, 16, 64})
    void everyBlockSizeMatchesTheFloat64Reference(int blockSize) {
        TinyLlama tiny = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.HALF, new RopeScaling.None(), false, true), 11);
        int[] tokens = randomTokens(41, tiny.config.vocabSize(), 3);
        double[][] ref = new ReferenceLlama(tiny).forward(tokens);
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads, KvBudget.tokens(200), blockSize);
             CpuLlamaSession s = model.newSession(64)) {
            // A 20-token prefill, then decode one by one through the block table.
            assertClose(ref[19], s.feed(tokens, 0, 20), 1e-4, "prefill");
            for (int i = 20; i < tokens.length; i++) {
                assertClose(ref[i], s.feed(tokens, i, 1), 1e-4, "decode " + i);
            }
            assertEquals(tokens.length, s.kvEntries(0));
        }
    }

    @Test
    void sessionsShareAPublishedPromptPrefix() {
        TinyLlama tiny = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.INTERLEAVED, new RopeScaling.None(), false, false), 5);
        int[] prompt = randomTokens(70, tiny.config.vocabSize(), 8);
        int[] other = prompt.clone();
        other[40] = (other[40] + 1) % tiny.config.vocabSize(); // diverges in block 2 (of 16 tokens)
        double[][] ref = new ReferenceLlama(tiny).forward(other);
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads, KvBudget.tokens(1000), 16)) {
            var pool = model.kvPool();
            try (CpuLlamaSession a = model.newSession(100)) {
                a.feed(prompt, 0, prompt.length);
                int afterA = pool.usedBlocks();
                assertEquals(3 * 5, afterA); // 3 layers x 5 blocks (70 tokens)
                try (CpuLlamaSession b = model.newSession(100)) {
                    float[] logits = b.feed(other, 0, other.length);
                    assertClose(ref[other.length - 1], logits, 1e-4, "with a shared prefix");
                    // Blocks 0 and 1 (32 tokens) are shared: b adds 3 blocks per layer, not 5.
                    assertEquals(afterA + 3 * 3, pool.usedBlocks());
                    // Rewinding into the shared part and writing copies the block, leaving a's alone.
                    b.truncate(20);
                    float[] again = b.feed(other, 20, other.length - 20);
                    assertClose(ref[other.length - 1], again, 1e-4, "after rewinding into a shared block");
                    float[] stillA = a.feed(prompt, 0, 1);
                    assertTrue(Float.isFinite(stillA[0]));
                }
            }
            assertEquals(0, pool.usedBlocks(), "closing sessions returns every block");
        }
    }

    @Test
    void runningOutOfTheKvBudgetIsAClearError() {
        TinyLlama tiny = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.INTERLEAVED, new RopeScaling.None(), false, false), 5);
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads, KvBudget.tokens(32), 16);
             CpuLlamaSession a = model.newSession(64);
             CpuLlamaSession b = model.newSession(64)) {
            a.feed(randomTokens(30, 97, 1), 0, 30);
            var e = assertThrows(FlashjException.class, () -> b.feed(randomTokens(5, 97, 2), 0, 5));
            assertTrue(e.getMessage().contains("KV cache budget exhausted"), e.getMessage());
            a.close();
            b.feed(randomTokens(5, 97, 2), 0, 5);
        }
    }
}
