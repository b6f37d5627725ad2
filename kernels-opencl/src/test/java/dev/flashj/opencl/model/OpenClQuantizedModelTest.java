package dev.flashj.opencl.model;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.kv.KvBudget;
import dev.flashj.model.BatchDecoder;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelSession;
import dev.flashj.model.cpu.CpuLlamaModel;
import dev.flashj.opencl.OpenClDeviceSelector;
import dev.flashj.opencl.OpenClTestSupport;
import dev.flashj.opencl.kernels.WeightFormat;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.opencl.runtime.OpenCl;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.flashj.opencl.model.OpenClLlamaModelTest.argmax;
import static dev.flashj.opencl.model.OpenClLlamaModelTest.greedy;
import static dev.flashj.opencl.model.OpenClLlamaModelTest.ints;
import static dev.flashj.opencl.model.OpenClLlamaModelTest.json;
import static dev.flashj.opencl.model.OpenClLlamaModelTest.open;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Models whose matrices stay quantized on the device (stories260K with Q8_0 and Q4_0 weights) give
 * the CPU backend's greedy ids, through prefill, lone decode and batched decode. Skips without
 * OpenCL or test data.
 */
class OpenClQuantizedModelTest {
    private static final int STEPS = 24;
    private static CpuThreads threads;

    @BeforeAll
    static void requireOpenCl() {
        try (OpenCl cl = OpenClTestSupport.openOrSkip()) {
            assertTrue(!cl.devices().isEmpty());
        }
        threads = new CpuThreads(2);
    }

    @AfterAll
    static void stopThreads() {
        if (threads != null) {
            threads.close();
        }
    }

    /** The first {@code length} tokens of a llama2.c greedy story: a prefill batch for the tiled kernels. */
    private static int[] storyPrompt(int length) throws IOException {
        return Arrays.copyOf(ints(json("expected/llama2c-stories260K.json").get("cases").get(0).get("token_ids")), length);
    }

    @ParameterizedTest
    @ValueSource(strings = {"derived/stories260K-Q8_0mix.gguf", "derived/stories260K-Q4_0mix.gguf"})
    void greedyIdsMatchTheCpuBackend(String model) throws IOException {
        int[] prompt = storyPrompt(11);
        // The CPU model owns (closes) its file.
        try (ModelFile clFile = open(model);
             CpuLlamaModel cpuModel = CpuLlamaModel.load(open(model), threads);
             OpenClLlamaModel clModel = OpenClLlamaModel.load(clFile, OpenClDeviceSelector.firstGpuOrAny());
             ModelSession cpu = cpuModel.newSession(prompt.length + STEPS);
             ModelSession cl = clModel.newSession(prompt.length + STEPS)) {
            int[] expected = greedy(cpu, prompt, STEPS);
            assertArrayEquals(expected, greedy(cl, prompt, STEPS), model + ": greedy ids, OpenCL vs CPU");
        }
    }

    /**
     * Steps of five sequences (the tiled quantized matmul) alternate with steps of three (the
     * multi-token matvec), against lone CPU decoding.
     */
    @Test
    void batchedDecodeOfQ4_0WeightsMatchesTheCpuBackend() throws IOException {
        String model = "derived/stories260K-Q4_0mix.gguf";
        int[] promptLengths = {5, 9, 13, 17, 21};
        int all = promptLengths.length;
        int steps = 16;
        // The CPU model owns (closes) its file.
        try (ModelFile clFile = open(model);
             CpuLlamaModel cpuModel = CpuLlamaModel.load(open(model), threads);
             OpenClLlamaModel clModel = OpenClLlamaModel.load(clFile, OpenClDeviceSelector.firstGpuOrAny(),
                     KvBudget.tokens(1000), 8)) {
            BatchDecoder decoder = clModel.newBatchDecoder(all).orElseThrow();
            List<OpenClLlamaSession> batch = new ArrayList<>();
            List<ModelSession> alone = new ArrayList<>();
            int[] next = new int[all];
            for (int s = 0; s < all; s++) {
                int[] prompt = storyPrompt(promptLengths[s]);
                batch.add((OpenClLlamaSession) clModel.newSession(64));
                alone.add(cpuModel.newSession(64));
                next[s] = argmax(batch.get(s).feed(prompt, 0, prompt.length));
                assertEquals(argmax(alone.get(s).feed(prompt, 0, prompt.length)), next[s], "prefill, sequence " + s);
            }
            float[][] logits = new float[all][clModel.config().vocabSize()];
            for (int step = 0; step < steps; step++) {
                int n = step % 2 == 0 ? all : 3;
                for (float[] row : logits) {
                    Arrays.fill(row, Float.NaN);
                }
                for (OpenClLlamaSession s : batch.subList(0, n)) {
                    assertTrue(decoder.reserve(s, 1).granted());
                }
                decoder.decode(batch.subList(0, n), next, logits);
                for (int s = 0; s < n; s++) {
                    int expected = argmax(alone.get(s).feed(new int[]{next[s]}, 0, 1));
                    assertEquals(expected, argmax(logits[s]), "greedy id at step " + step + " (batch of " + n
                            + "), sequence " + s);
                    next[s] = expected;
                }
            }
            batch.forEach(OpenClLlamaSession::close);
            alone.forEach(ModelSession::close);
        }
    }

    /** A Q4_0 matrix takes its file's bytes on the device (18 per 32 elements), not 2 per element. */
    @Test
    void q4_0MatricesTakeTheirQuantizedSizeOnTheDevice() {
        try (ModelFile file = open("derived/stories260K-Q4_0mix.gguf");
             OpenCl cl = OpenClTestSupport.openOrSkip();
             ClContext context = cl.createContext(cl.devices().getFirst());
             ClQueue queue = context.createQueue();
             OpenClWeights weights = OpenClWeights.upload(file, context, queue)) {
            Tensor query = file.weight(LlamaTensorNames.query(0)).orElseThrow();
            assertEquals(TensorType.Q4_0, query.type());
            var matrix = weights.layers.getFirst().query();
            assertEquals(WeightFormat.Q4_0, matrix.format());
            assertEquals(query.byteSize(), matrix.buffer().byteSize());
            assertEquals(query.numElements() / 32 * 18, matrix.buffer().byteSize());
            assertTrue(matrix.buffer().byteSize() < 2 * query.numElements() * 3 / 5);
            assertEquals(OpenClWeights.totalDeviceBytes(file), weights.deviceBytes);
            // llama.cpp's mix keeps token_embd at Q5_0, which is read in place as well.
            assertEquals(WeightFormat.Q5_0, weights.tokenEmbedding.format());
            assertEquals(file.weight(LlamaTensorNames.TOKEN_EMBEDDING).orElseThrow().byteSize(),
                    weights.tokenEmbedding.buffer().byteSize());
        }
    }
}
