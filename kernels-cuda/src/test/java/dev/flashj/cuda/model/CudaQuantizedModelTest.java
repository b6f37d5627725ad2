package dev.flashj.cuda.model;

import dev.flashj.TestData;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.cuda.CudaDeviceSelector;
import dev.flashj.cuda.CudaTestSupport;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelLoader;
import dev.flashj.model.ModelSession;
import dev.flashj.model.cpu.CpuLlamaModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * stories260K with Q8_0/Q4_0 matrices, kept quantized on the GPU (in-place GGUF kernels): greedy ids from BOS
 * equal the CPU backend's for 16 tokens, token by token and after a batched prefill. Skips without a GPU.
 */
class CudaQuantizedModelTest {
    private static final int STEPS = 16;

    @BeforeAll
    static void requireGpu() {
        CudaTestSupport.openOrSkip().close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"derived/stories260K-Q8_0mix.gguf", "derived/stories260K-Q4_0mix.gguf"})
    void greedyIdsEqualCpu(String model) {
        int[] bos = {1};
        int[] cpuIds;
        try (CpuThreads threads = new CpuThreads(2);
             CpuLlamaModel cpu = CpuLlamaModel.load(ModelLoader.open(TestData.require(model), Optional.empty()), threads);
             ModelSession s = cpu.newSession(STEPS + 1)) {
            cpuIds = CudaLlamaModelTest.greedy(s, bos, STEPS);
        }
        try (ModelFile file = ModelLoader.open(TestData.require(model), Optional.empty());
             CudaLlamaModel gpu = CudaLlamaModel.load(file, new CudaDeviceSelector(0));
             ModelSession s = gpu.newSession(2 * STEPS + 1)) {
            String description = gpu.deviceDescription();
            System.out.println(model + " on " + description);
            assertTrue(description.contains("kept quantized"), description);
            assertArrayEquals(cpuIds, CudaLlamaModelTest.greedy(s, bos, STEPS), model + " token by token");
            // The same ids fed back as one prompt: the prefill path (blocks of 16 tokens) predicts the last one.
            s.truncate(0);
            int[] prompt = new int[STEPS];
            prompt[0] = 1;
            System.arraycopy(cpuIds, 0, prompt, 1, STEPS - 1);
            float[] logits = s.feed(prompt, 0, prompt.length);
            assertTrue(CudaLlamaModelTest.argmax(logits) == cpuIds[STEPS - 1], model + " batched prefill's next id");
        }
    }
}
