package dev.flashj.model.cpu;

import dev.flashj.FlashjException;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.kv.Allocation;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.kv.KvBudget;
import dev.flashj.model.BatchDecoder;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One batched decode step gives every sequence the logits of decoding it alone, bit for bit. */
class CpuBatchDecoderTest {
    private static CpuThreads threads;

    @BeforeAll
    static void start() {
        threads = new CpuThreads(2);
    }

    @AfterAll
    static void stop() {
        threads.close();
    }

    @Test
    void batchedStepsEqualLoneDecodesBitForBit() {
        TinyLlama tiny = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.HALF, new RopeScaling.None(), false, true), 5);
        int vocab = tiny.config.vocabSize();
        int[] promptLengths = {1, 7, 3, 16, 29};
        try (CpuLlamaModel batchedModel = CpuLlamaModel.load(tiny.toModelFile(), threads, KvBudget.tokens(1000), 3);
             CpuLlamaModel aloneModel = CpuLlamaModel.load(tiny.toModelFile(), threads, KvBudget.tokens(1000), 3)) {
            BatchDecoder decoder = batchedModel.newBatchDecoder(promptLengths.length).orElseThrow();
            List<CpuLlamaSession> batch = new ArrayList<>();
            List<CpuLlamaSession> alone = new ArrayList<>();
            int[] next = new int[promptLengths.length];
            for (int s = 0; s < promptLengths.length; s++) {
                // the last two prompts start like the one before them: their first blocks are shared
                int[] prompt = PagedKvSessionTest.randomTokens(promptLengths[s], vocab, s >= 3 ? 102 : 100 + s);
                batch.add(batchedModel.newSession(64));
                alone.add(aloneModel.newSession(64));
                float[] a = batch.get(s).feed(prompt, 0, prompt.length);
                float[] b = alone.get(s).feed(prompt, 0, prompt.length);
                assertBitsEqual(b, a, "prefill of sequence " + s);
                next[s] = argmax(a);
            }
            assertTrue(sharedBlocks(batch) > 0, "prompts with a common prefix share blocks");
            float[][] logits = new float[promptLengths.length][vocab];
            for (float[] row : logits) {
                Arrays.fill(row, Float.NaN);
            }
            for (int step = 0; step < 9; step++) {
                // A ragged batch: the last sequence sits out odd steps.
                int n = step % 2 == 0 ? promptLengths.length : promptLengths.length - 1;
                for (int s = 0; s < n; s++) {
                    assertTrue(decoder.reserve(batch.get(s), 1).granted());
                }
                decoder.decode(batch.subList(0, n), next, logits);
                for (int s = 0; s < n; s++) {
                    float[] expected = alone.get(s).feed(new int[]{next[s]}, 0, 1);
                    assertBitsEqual(expected, logits[s], "step " + step + ", sequence " + s);
                    assertEquals(alone.get(s).position(), batch.get(s).position());
                    next[s] = argmax(logits[s]);
                }
            }
            batch.forEach(CpuLlamaSession::close);
            alone.forEach(CpuLlamaSession::close);
            assertEquals(0, batchedModel.kvPool().usedBlocks(), "every block returned");
        }
    }

    @Test
    void runningOutOfBlocksIsAResultAndAMissingReservationThrows() {
        TinyLlama tiny = TinyLlama.random(TinyLlama.smallConfig(RopeStyle.INTERLEAVED, new RopeScaling.None(), false, false), 6);
        try (CpuLlamaModel model = CpuLlamaModel.load(tiny.toModelFile(), threads, KvBudget.tokens(12), 4);
             CpuLlamaModel other = CpuLlamaModel.load(tiny.toModelFile(), threads, KvBudget.tokens(12), 4)) {
            BatchDecoder decoder = model.newBatchDecoder(2).orElseThrow();
            assertEquals(decoder.blocksFor(12), decoder.capacityBlocks());
            CpuLlamaSession a = model.newSession(32);
            CpuLlamaSession b = model.newSession(32);
            a.feed(new int[]{1, 2, 3, 4, 5}, 0, 5);
            b.feed(new int[]{6, 7, 8}, 0, 3);
            assertEquals(0, decoder.freeBlocks());
            assertTrue(decoder.reserve(b, 1).granted(), "room left in b's last block");
            Allocation full = decoder.reserve(a, 4);
            assertInstanceOf(Allocation.OutOfBlocks.class, full);
            assertEquals(5, a.position(), "nothing changed");
            float[][] logits = new float[2][tiny.config.vocabSize()];
            decoder.decode(List.of(b), new int[]{9}, logits);
            assertEquals(4, b.position());
            assertThrows(IllegalStateException.class, () -> decoder.decode(List.of(b), new int[]{9}, logits),
                    "b's blocks are full and nothing was reserved");
            assertThrows(IllegalArgumentException.class, () -> decoder.decode(List.of(a, a), new int[]{1, 1}, logits));
            try (CpuLlamaSession foreign = other.newSession(8)) {
                assertThrows(IllegalArgumentException.class, () -> decoder.reserve(foreign, 1));
            }
            try (CpuLlamaSession evicting = model.newSession(8, new EvictionPolicy.Window(4, 1))) {
                assertThrows(FlashjException.class, () -> decoder.decode(List.of(evicting), new int[]{1}, logits));
            }
            a.close();
            b.close();
        }
    }

    /** Blocks of layer 0 held by more than one of the sessions. */
    private static int sharedBlocks(List<CpuLlamaSession> sessions) {
        Map<Integer, Integer> holders = new HashMap<>();
        for (CpuLlamaSession s : sessions) {
            for (int b = 0; b < s.kvCache().table(0).blockCount(); b++) {
                holders.merge(s.kvCache().table(0).block(b), 1, Integer::sum);
            }
        }
        return (int) holders.values().stream().filter(n -> n > 1).count();
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    static void assertBitsEqual(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                assertFalse(true, what + ": logit " + i + " is " + actual[i] + ", alone " + expected[i]);
            }
        }
    }
}
