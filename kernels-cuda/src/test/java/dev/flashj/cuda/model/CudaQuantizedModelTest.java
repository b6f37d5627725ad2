package dev.flashj.cuda.model;

import dev.flashj.TestData;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.cuda.CudaDeviceSelector;
import dev.flashj.cuda.CudaTestSupport;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelLoader;
import dev.flashj.model.ModelSession;
import dev.flashj.model.cpu.CpuLlamaModel;
import dev.flashj.quant.GgufConverter;
import dev.flashj.quant.QuantType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * stories260K with quantized matrices kept quantized on the GPU: the Q8_0/Q4_0 mixes (in-place GGUF kernels) and
 * the model converted to FlashJ INT4 g32 and FP8 (tile kernels). Greedy ids from BOS equal the CPU backend's for 16
 * tokens, token by token, and a batched prefill of those ids predicts the same last one; a 48-token prompt (the
 * fp16-scratch prefill path) gives the logits of token-by-token decoding. Skips without a GPU.
 */
class CudaQuantizedModelTest {
    private static final int STEPS = 16;

    @TempDir
    static Path converted;

    @BeforeAll
    static void requireGpu() {
        CudaTestSupport.openOrSkip().close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"derived/stories260K-Q8_0mix.gguf", "derived/stories260K-Q4_0mix.gguf"})
    void ggufGreedyIdsEqualCpu(String model) {
        compareWithCpu(TestData.require(model));
    }

    @ParameterizedTest
    @EnumSource(value = QuantType.class, names = {"INT4_G32", "FP8"})
    void flashjFormatsGreedyIdsEqualCpu(QuantType type) {
        Path out = converted.resolve("stories260K-" + type.cliName() + ".gguf");
        try (ModelFile in = ModelLoader.open(TestData.require("stories260K.gguf"), Optional.empty())) {
            GgufConverter.convert(in, type, out, (done, total, name) -> { });
        }
        compareWithCpu(out);
    }

    private static void compareWithCpu(Path model) {
        int[] bos = {1};
        int[] cpuIds;
        try (CpuThreads threads = new CpuThreads(2);
             CpuLlamaModel cpu = CpuLlamaModel.load(ModelLoader.open(model, Optional.empty()), threads);
             ModelSession s = cpu.newSession(STEPS + 1)) {
            cpuIds = CudaLlamaModelTest.greedy(s, bos, STEPS);
        }
        try (ModelFile file = ModelLoader.open(model, Optional.empty());
             CudaLlamaModel gpu = CudaLlamaModel.load(file, new CudaDeviceSelector(0));
             ModelSession s = gpu.newSession(STEPS + 1)) {
            String description = gpu.deviceDescription();
            System.out.println(model.getFileName() + " on " + description);
            assertTrue(description.contains("kept quantized"), description);
            assertArrayEquals(cpuIds, CudaLlamaModelTest.greedy(s, bos, STEPS), model + " token by token");
            // The same ids fed back as one prompt: the multi-token path predicts the last one.
            s.truncate(0);
            int[] prompt = new int[STEPS];
            prompt[0] = 1;
            System.arraycopy(cpuIds, 0, prompt, 1, STEPS - 1);
            assertEquals(cpuIds[STEPS - 1], CudaLlamaModelTest.argmax(s.feed(prompt, 0, prompt.length)), model + " batched prefill");
        }
        prefillEqualsDecode(model);
    }

    /** A prompt longer than CudaOps.DEQUANTIZE_ABOVE_TOKENS (fp16 scratch + tensor-core GEMM) equals decoding it token by token. */
    private static void prefillEqualsDecode(Path model) {
        int n = 48;
        int[] tokens = new int[n];
        tokens[0] = 1;
        for (int i = 1; i < n; i++) {
            tokens[i] = 2 + (i * 37) % 500;
        }
        try (ModelFile file = ModelLoader.open(model, Optional.empty());
             CudaLlamaModel gpu = CudaLlamaModel.load(file, new CudaDeviceSelector(0));
             ModelSession s = gpu.newSession(n)) {
            float[] batched = s.feed(tokens, 0, n).clone();
            s.truncate(0);
            float[] stepwise = null;
            for (int i = 0; i < n; i++) {
                stepwise = s.feed(tokens, i, 1);
            }
            for (int i = 0; i < batched.length; i++) {
                assertEquals(batched[i], stepwise[i], 5e-2, model.getFileName() + " logit " + i);
            }
        }
    }
}
