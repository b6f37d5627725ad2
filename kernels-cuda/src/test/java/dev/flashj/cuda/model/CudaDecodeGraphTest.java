package dev.flashj.cuda.model;

import dev.flashj.TestData;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.cuda.CudaDeviceSelector;
import dev.flashj.cuda.CudaTestSupport;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelLoader;
import dev.flashj.model.ModelSession;
import dev.flashj.synthetic.SyntheticModelWriter;
import dev.flashj.synthetic.SyntheticShape;
import dev.flashj.synthetic.SyntheticWeightType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoding through the replayed CUDA graph against launching every kernel directly, in two sessions of one model
 * fed the same script: prefill, greedy decode (the first one-token feed runs directly, the second records the
 * graph, the rest replay it), truncate and decode again, prefill more and decode again. The graph runs the same
 * kernels with the same split plan, so every logit must be bit-for-bit equal, and so the greedy ids. Covers the
 * flash-attention decode (stories260K F16, head_dim 8), the split-KV decode across split boundaries (a random
 * model with head_dim 64, up to 148 keys of a 300-token cache) and quantized GEMV (Q8_0 and Q4_0 mixes). Skips
 * without a GPU.
 */
class CudaDecodeGraphTest {
    @TempDir
    static Path directory;

    @BeforeAll
    static void requireGpu() {
        CudaTestSupport.openOrSkip().close();
    }

    /** Feeds a script to a session and keeps every logits vector and greedy id it produced. */
    private static final class Transcript {
        final List<float[]> logits = new ArrayList<>();
        final List<Integer> ids = new ArrayList<>();
        private final ModelSession session;
        private float[] last;

        Transcript(ModelSession session) {
            this.session = session;
        }

        Transcript prefill(int[] tokens) {
            keep(session.feed(tokens, 0, tokens.length));
            return this;
        }

        Transcript decode(int steps) {
            for (int i = 0; i < steps; i++) {
                int next = CudaLlamaModelTest.argmax(last);
                ids.add(next);
                keep(session.feed(new int[] {next}, 0, 1));
            }
            return this;
        }

        Transcript truncate(int position) {
            session.truncate(position);
            return this;
        }

        private void keep(float[] values) {
            last = values.clone();
            logits.add(last);
        }
    }

    private static int[] tokens(int count, int salt, int vocab) {
        int[] t = new int[count];
        t[0] = 1;
        for (int i = 1; i < count; i++) {
            t[i] = 2 + (i * 37 + salt * 11) % (vocab - 2);
        }
        return t;
    }

    /** The same script on a graph session and a direct one; every logit bit and every id must agree. */
    private static void compare(Path model, int maxTokens, int promptTokens, int decodeSteps, int truncateTo) {
        try (ModelFile file = ModelLoader.open(model, Optional.empty());
             CudaLlamaModel gpu = CudaLlamaModel.load(file, new CudaDeviceSelector(0));
             ModelSession graph = gpu.newSession(maxTokens, true);
             ModelSession direct = gpu.newSession(maxTokens, false)) {
            int vocab = gpu.config().vocabSize();
            System.out.println(model.getFileName() + " on " + gpu.deviceDescription());
            Transcript[] runs = new Transcript[2];
            ModelSession[] sessions = {graph, direct};
            for (int r = 0; r < 2; r++) {
                runs[r] = new Transcript(sessions[r])
                        .prefill(tokens(promptTokens, 0, vocab))
                        .decode(decodeSteps)
                        .truncate(truncateTo)
                        .decode(decodeSteps / 4)
                        .prefill(tokens(5, 1, vocab))
                        .decode(decodeSteps / 4);
                assertEquals(truncateTo + decodeSteps / 4 + 5 + decodeSteps / 4, sessions[r].position());
            }
            assertEquals(runs[1].ids, runs[0].ids, model.getFileName() + ": greedy ids, graph vs direct");
            assertEquals(runs[1].logits.size(), runs[0].logits.size());
            for (int i = 0; i < runs[0].logits.size(); i++) {
                assertArrayEquals(runs[1].logits.get(i), runs[0].logits.get(i), model.getFileName() + ": logits of feed " + i
                        + ", graph vs direct");
            }
            assertTrue(runs[0].ids.size() >= 32, runs[0].ids.size() + " decoded tokens");
        }
    }

    @Test
    void stories260KF16GraphDecodeEqualsDirectDecode() {
        compare(TestData.require("derived/stories260K-F16.gguf"), 200, 7, 48, 20);
    }

    @Test
    void splitKvDecodeOfARandomModelEqualsDirectDecode() {
        // head_dim 64 takes the split-KV kernels: up to 148 keys (3 splits) of a cache planned for 300 (5 splits).
        SyntheticShape shape = new SyntheticShape("graph-test", 256, 2, 4, 2, 352, 512, 64, 512, 10000f);
        Path model = directory.resolve("graph-test-f16.gguf");
        try (CpuThreads threads = new CpuThreads(2)) {
            new SyntheticModelWriter(shape, SyntheticWeightType.F16, 7).write(model, threads, SyntheticModelWriter.Progress.NONE);
        }
        compare(model, 300, 100, 48, 70);
    }

    @ParameterizedTest
    @ValueSource(strings = {"derived/stories260K-Q8_0mix.gguf", "derived/stories260K-Q4_0mix.gguf"})
    void quantizedGraphDecodeEqualsDirectDecode(String model) {
        compare(TestData.require(model), 120, 5, 32, 9);
    }
}
