package dev.flashj.model.cpu;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.kv.EvictionReport;
import dev.flashj.kv.KvBudget;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Eviction policies on the CPU model. */
class EvictionSessionTest {
    private static CpuThreads threads;

    @BeforeAll
    static void start() {
        threads = new CpuThreads(2);
    }

    @AfterAll
    static void stop() {
        threads.close();
    }

    private static TinyLlama tiny() {
        return TinyLlama.random(TinyLlama.smallConfig(RopeStyle.HALF, new RopeScaling.None(), false, false), 21);
    }

    private static List<EvictionPolicy> policies(int budget) {
        return List.of(new EvictionPolicy.Window(4, budget - 4), new EvictionPolicy.SnapKv(budget, 8, 5, EvictionPolicy.Pooling.MAX),
                new EvictionPolicy.SnapKv(budget, 8, 5, EvictionPolicy.Pooling.AVG),
                new EvictionPolicy.PrefixKv(budget, 4, 8, Optional.empty()));
    }

    @Test
    void aBudgetCoveringTheSequenceGivesExactlyTheOutputWithoutEviction() {
        TinyLlama tiny = tiny();
        int[] prompt = PagedKvSessionTest.randomTokens(70, tiny.config.vocabSize(), 4);
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads, KvBudget.tokens(2000), 16)) {
            int[] expected;
            float[] expectedLogits;
            try (CpuLlamaSession s = model.newSession(120)) {
                expected = Greedy.run(s, prompt, 30);
                expectedLogits = s.feed(new int[]{expected[29]}, 0, 1).clone();
            }
            for (EvictionPolicy policy : policies(100)) {
                model.kvPool().dropCachedPrefixes(); // compute everything again
                try (CpuLlamaSession s = model.newSession(120, policy)) {
                    assertArrayEquals(expected, Greedy.run(s, prompt, 30), policy.toString());
                    assertArrayEquals(expectedLogits, s.feed(new int[]{expected[29]}, 0, 1), policy.toString());
                    assertTrue(s.lastEviction().isEmpty(), policy.toString());
                }
            }
        }
    }

    @Test
    void smallBudgetsShrinkTheCacheAndKeepGenerating() {
        TinyLlama tiny = tiny();
        int layers = tiny.config.numLayers();
        int[] prompt = PagedKvSessionTest.randomTokens(150, tiny.config.vocabSize(), 6);
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads, KvBudget.tokens(4000), 16)) {
            long fullBytes;
            try (CpuLlamaSession s = model.newSession(250)) {
                s.feed(prompt, 0, prompt.length);
                fullBytes = s.kvBytes();
            }
            for (EvictionPolicy policy : policies(48)) {
                try (CpuLlamaSession s = model.newSession(250, policy)) {
                    s.feed(prompt, 0, prompt.length);
                    EvictionReport r = s.lastEviction().orElseThrow();
                    assertEquals(fullBytes, r.bytesBefore(), policy.toString());
                    assertTrue(r.bytesAfter() < r.bytesBefore() / 2, policy + ": " + r);
                    assertEquals(r.bytesAfter(), s.kvBytes());
                    int total = 0;
                    for (int l = 0; l < layers; l++) {
                        assertEquals(150, r.entriesBefore()[l]);
                        total += s.kvEntries(l);
                        if (!(policy instanceof EvictionPolicy.PrefixKv)) {
                            assertEquals(48, s.kvEntries(l), policy + " layer " + l);
                        }
                    }
                    assertEquals(48 * layers, total, policy + ": the layers' entries add up to the global budget");
                    // Decoding past the budget evicts again, a block below it.
                    int[] ids = Greedy.run(s, new int[]{1}, 40);
                    assertEquals(40, ids.length);
                    for (int l = 0; l < layers; l++) {
                        assertTrue(s.kvEntries(l) <= (policy instanceof EvictionPolicy.PrefixKv ? 48 * layers : 48),
                                policy + " layer " + l + ": " + s.kvEntries(l));
                    }
                    // Rewinding an evicted sequence rebuilds it from its tokens, like a fresh session.
                    s.truncate(120);
                    float[] rebuilt = s.feed(prompt, 120, 5).clone();
                    try (CpuLlamaSession fresh = model.newSession(250, policy)) {
                        fresh.feed(prompt, 0, 120);
                        assertArrayEquals(fresh.feed(prompt, 120, 5), rebuilt, 1e-4f, policy.toString());
                    }
                }
            }
            assertEquals(0, model.kvPool().usedBlocks());
        }
    }

    @Test
    void manySessionsWithSharingAndEvictionReturnEveryBlock() {
        TinyLlama tiny = tiny();
        Random rnd = new Random(9);
        int[] base = PagedKvSessionTest.randomTokens(90, tiny.config.vocabSize(), 12);
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads, KvBudget.tokens(3000), 8)) {
            for (int n = 0; n < 40; n++) {
                int length = 10 + rnd.nextInt(80);
                int[] prompt = base.clone();
                prompt[rnd.nextInt(90)] = rnd.nextInt(97);
                List<EvictionPolicy> all = policies(24 + rnd.nextInt(20));
                EvictionPolicy policy = rnd.nextInt(5) == 0 ? new EvictionPolicy.None() : all.get(rnd.nextInt(all.size()));
                try (CpuLlamaSession s = model.newSession(200, policy)) {
                    Greedy.run(s, java.util.Arrays.copyOf(prompt, length), 1 + rnd.nextInt(20));
                }
            }
            assertEquals(0, model.kvPool().usedBlocks());
            assertTrue(model.kvPool().cachedBlocks() > 0, "prompts were published for sharing");
        }
    }
}
