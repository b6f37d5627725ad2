package dev.flashj.opencl.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flashj.FlashjException;
import dev.flashj.kv.Allocation;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.kv.KvBudget;
import dev.flashj.model.BatchDecoder;
import dev.flashj.model.ModelFile;
import dev.flashj.opencl.OpenClDeviceSelector;
import dev.flashj.opencl.OpenClTestSupport;
import dev.flashj.opencl.runtime.OpenCl;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.flashj.opencl.model.OpenClLlamaModelTest.argmax;
import static dev.flashj.opencl.model.OpenClLlamaModelTest.ints;
import static dev.flashj.opencl.model.OpenClLlamaModelTest.json;
import static dev.flashj.opencl.model.OpenClLlamaModelTest.open;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batched decode steps on OpenCL give every sequence the greedy ids (and logits) of decoding it alone. */
class OpenClBatchDecoderTest {

    @BeforeAll
    static void requireOpenCl() {
        try (OpenCl cl = OpenClTestSupport.openOrSkip()) {
            assertTrue(!cl.devices().isEmpty());
        }
    }

    /** The first {@code length} tokens of a llama2.c greedy story. */
    private static int[] storyPrompt(int length) throws IOException {
        JsonNode cases = json("expected/llama2c-stories260K.json").get("cases");
        return Arrays.copyOf(ints(cases.get(0).get("token_ids")), length);
    }

    @Test
    void batchedStepsGiveTheIdsOfLoneDecoding() throws IOException {
        // Six prompts sharing a prefix. The first half of the steps runs ragged batches of 4 and 3 (the
        // matrix-vector kernel a lone decode uses), the second half batches of 6 and 4 (the tiled kernel).
        int[] promptLengths = {24, 29, 37, 45, 52, 60};
        int steps = 16;
        int all = promptLengths.length;
        try (ModelFile file = open("stories260K.gguf");
             OpenClLlamaModel batchedModel = OpenClLlamaModel.load(file, OpenClDeviceSelector.firstGpuOrAny(),
                     KvBudget.tokens(2000), 8);
             OpenClLlamaModel aloneModel = OpenClLlamaModel.load(file, OpenClDeviceSelector.firstGpuOrAny(),
                     KvBudget.tokens(2000), 8)) {
            int vocab = batchedModel.config().vocabSize();
            BatchDecoder decoder = batchedModel.newBatchDecoder(all).orElseThrow();
            List<OpenClLlamaSession> batch = new ArrayList<>();
            List<OpenClLlamaSession> alone = new ArrayList<>();
            int[] next = new int[all];
            for (int s = 0; s < all; s++) {
                int[] prompt = Arrays.stream(storyPrompt(promptLengths[s])).map(t -> t % vocab).toArray();
                batch.add((OpenClLlamaSession) batchedModel.newSession(128));
                alone.add((OpenClLlamaSession) aloneModel.newSession(128));
                float[] a = batch.get(s).feed(prompt, 0, prompt.length);
                alone.get(s).feed(prompt, 0, prompt.length);
                next[s] = argmax(a);
            }
            float[][] logits = new float[all][vocab];
            for (float[] row : logits) {
                Arrays.fill(row, Float.NaN);
            }
            for (int step = 0; step < steps; step++) {
                int n = step < steps / 2 ? (step % 2 == 0 ? 4 : 3) : (step % 2 == 0 ? all : 4);
                for (int s = 0; s < n; s++) {
                    assertTrue(decoder.reserve(batch.get(s), 1).granted());
                }
                decoder.decode(batch.subList(0, n), next, logits);
                for (int s = 0; s < n; s++) {
                    float[] expected = alone.get(s).feed(new int[]{next[s]}, 0, 1);
                    assertClose(expected, logits[s], "step " + step + " (batch of " + n + "), sequence " + s);
                    int id = argmax(logits[s]);
                    assertEquals(argmax(expected), id, "greedy id at step " + step + ", sequence " + s);
                    assertEquals(alone.get(s).position(), batch.get(s).position());
                    next[s] = id;
                }
            }
            batch.forEach(OpenClLlamaSession::close);
            alone.forEach(OpenClLlamaSession::close);
            assertEquals(0, batchedModel.kvPool().usedBlocks(), "every block returned");
        }
    }

    @Test
    void runningOutOfBlocksIsAResultAndMisuseThrows() {
        try (ModelFile file = open("stories260K.gguf");
             OpenClLlamaModel model = OpenClLlamaModel.load(file, OpenClDeviceSelector.firstGpuOrAny(),
                     KvBudget.tokens(12), 4);
             OpenClLlamaModel other = OpenClLlamaModel.load(file, OpenClDeviceSelector.firstGpuOrAny(),
                     KvBudget.tokens(12), 4)) {
            BatchDecoder decoder = model.newBatchDecoder(2).orElseThrow();
            assertEquals(decoder.blocksFor(12), decoder.capacityBlocks());
            OpenClLlamaSession a = (OpenClLlamaSession) model.newSession(32);
            OpenClLlamaSession b = (OpenClLlamaSession) model.newSession(32);
            a.feed(new int[]{1, 2, 3, 4, 5}, 0, 5);
            b.feed(new int[]{6, 7, 8}, 0, 3);
            assertEquals(0, decoder.freeBlocks());
            assertTrue(decoder.reserve(b, 1).granted(), "room left in b's last block");
            assertInstanceOf(Allocation.OutOfBlocks.class, decoder.reserve(a, 4));
            assertEquals(5, a.position(), "nothing changed");
            float[][] logits = new float[2][model.config().vocabSize()];
            decoder.decode(List.of(b), new int[]{9}, logits);
            assertEquals(4, b.position());
            assertThrows(IllegalStateException.class, () -> decoder.decode(List.of(b), new int[]{9}, logits),
                    "b's blocks are full and nothing was reserved");
            assertEquals(4, b.position(), "a refused step changes nothing");
            assertEquals(4, b.kvEntries(0));
            assertThrows(IllegalArgumentException.class, () -> decoder.decode(List.of(a, a), new int[]{1, 1}, logits));
            try (OpenClLlamaSession foreign = (OpenClLlamaSession) other.newSession(8)) {
                assertThrows(IllegalArgumentException.class, () -> decoder.reserve(foreign, 1));
            }
            try (OpenClLlamaSession evicting = (OpenClLlamaSession) model.newSession(8, new EvictionPolicy.Window(4, 1))) {
                assertThrows(FlashjException.class, () -> decoder.decode(List.of(evicting), new int[]{1}, logits));
            }
            a.close();
            b.close();
        }
    }

    /** Within float rounding of a different summation order (the tiled kernel for batches above 4). */
    private static void assertClose(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            float tolerance = 1e-4f * Math.max(1, Math.abs(expected[i]));
            if (!(Math.abs(expected[i] - actual[i]) <= tolerance)) {
                assertFalse(true, what + ": logit " + i + " is " + actual[i] + ", alone " + expected[i]);
            }
        }
    }
}
