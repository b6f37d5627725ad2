package dev.flashj.synthetic;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelLoader;
import dev.flashj.model.ModelSession;
import dev.flashj.model.cpu.CpuLlamaModel;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Synthetic models written, cached, loaded through {@link ModelLoader} and run on the CPU model. */
class SyntheticModelTest {
    private static final SyntheticShape SHAPE = SyntheticShape.STORIES_260K.withLayers(2);
    private static CpuThreads threads;

    @TempDir
    Path dir;

    @BeforeAll
    static void startThreads() {
        threads = new CpuThreads(2);
    }

    @AfterAll
    static void stopThreads() {
        threads.close();
    }

    @Test
    void everyTypeLoadsWithTheShapesConfigAndGivesFiniteLogits() {
        SyntheticModelCache cache = new SyntheticModelCache(dir);
        for (SyntheticWeightType type : SyntheticWeightType.values()) {
            Path path = cache.getOrWrite(SHAPE, type, 42, threads, SyntheticModelWriter.Progress.NONE);
            ModelFile file = ModelLoader.open(path, Optional.empty());
            LlamaConfig c = file.config();
            assertEquals(List.of(SHAPE.hidden(), SHAPE.layers(), SHAPE.heads(), SHAPE.kvHeads(), SHAPE.ffn(), SHAPE.vocab(),
                            SHAPE.headDim(), SHAPE.context()),
                    List.of(c.dim(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.hiddenDim(), c.vocabSize(), c.headDim(),
                            c.contextLength()), type.toString());
            assertEquals(SHAPE.ropeTheta(), c.rope().theta());
            assertFalse(c.tiedEmbeddings());
            assertEquals(SHAPE.vocab(), file.tokenizer().vocabSize());
            // Byte fallback makes any text encodable; decoding gives it back.
            assertEquals("hé 42", file.tokenizer().decode(file.tokenizer().encode("hé 42", true, false)));
            for (String name : List.of(LlamaTensorNames.TOKEN_EMBEDDING, LlamaTensorNames.OUTPUT, LlamaTensorNames.query(1),
                    LlamaTensorNames.ffnDown(0))) {
                Tensor t = file.weight(name).orElseThrow();
                assertEquals(type.matrixType(name, t.cols()), t.type(), type + " " + name);
            }
            assertEquals(expectedQueryType(type), file.weight(LlamaTensorNames.query(1)).orElseThrow().type());
            // Rows of 172 elements are not whole 32-element blocks: F32 for the types that give every matrix
            // one type, F16 (as flashj quantize falls back) for the others; FP8 scales whole rows of any length.
            TensorType downType = switch (type) {
                case F32, F16, FP8 -> type.tensorType();
                case Q8_0, Q4_0 -> TensorType.F32;
                default -> TensorType.F16;
            };
            assertEquals(downType, file.weight(LlamaTensorNames.ffnDown(0)).orElseThrow().type(), type.toString());
            TensorType headType = switch (type) {
                case Q4_K -> TensorType.Q8_0;
                case INT4_G128, INT4_G32, FP8 -> TensorType.F16;
                default -> type.tensorType();
            };
            assertEquals(headType, file.weight(LlamaTensorNames.OUTPUT).orElseThrow().type(), type.toString());
            assertEquals(TensorType.F32, file.weight(LlamaTensorNames.ffnNorm(0)).orElseThrow().type());
            assertWeightsLookRandom(file.weight(LlamaTensorNames.ffnGate(1)).orElseThrow());

            try (CpuLlamaModel model = CpuLlamaModel.load(file, threads);
                 ModelSession session = model.newSession(16)) {
                float[] logits = session.feed(new int[]{1, 300, 301, 302, 303}, 0, 5);
                assertFiniteAndVaried(logits, type + " prefill");
                logits = session.feed(new int[]{400}, 0, 1);
                assertFiniteAndVaried(logits, type + " decode");
            }
        }
    }

    @Test
    void cacheReusesTheFileAndKeysEveryChoice() throws IOException {
        SyntheticModelCache cache = new SyntheticModelCache(dir);
        Path first = cache.getOrWrite(SHAPE, SyntheticWeightType.Q8_0, 1, threads, SyntheticModelWriter.Progress.NONE);
        FileTime written = FileTime.fromMillis(1_000_000);
        Files.setLastModifiedTime(first, written);
        Path again = cache.getOrWrite(SHAPE, SyntheticWeightType.Q8_0, 1, threads, (bytes, total) -> {
            throw new AssertionError("the cached file was rewritten");
        });
        assertEquals(first, again);
        assertEquals(written, Files.getLastModifiedTime(again));

        // Type, seed, layers and any other field (here the context) each give another file.
        Set<Path> paths = Set.of(first,
                cache.path(SHAPE, SyntheticWeightType.Q4_0, 1),
                cache.path(SHAPE, SyntheticWeightType.Q8_0, 2),
                cache.path(SHAPE.withLayers(3), SyntheticWeightType.Q8_0, 1),
                cache.path(new SyntheticShape(SHAPE.name(), 64, 2, 8, 4, 172, 512, 8, 1024, 10000f), SyntheticWeightType.Q8_0, 1));
        assertEquals(5, paths.size());
        try (var listing = Files.list(dir)) {
            assertEquals(List.of(first), listing.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void weightsDependOnTheSeedOnlyNotOnTheThreadCount() throws IOException {
        long[] progress = new long[2];
        Path two = dir.resolve("two.gguf");
        new SyntheticModelWriter(SHAPE, SyntheticWeightType.Q4_0, 5).write(two, threads, (bytes, total) -> {
            assertTrue(bytes > progress[0] && bytes <= total);
            progress[0] = bytes;
            progress[1] = total;
        });
        assertEquals(progress[1], progress[0], "progress ends at the total");
        Path one = dir.resolve("one.gguf");
        try (CpuThreads single = new CpuThreads(1)) {
            new SyntheticModelWriter(SHAPE, SyntheticWeightType.Q4_0, 5).write(one, single, SyntheticModelWriter.Progress.NONE);
        }
        assertEquals(-1, Files.mismatch(one, two));
        Path otherSeed = dir.resolve("seed6.gguf");
        new SyntheticModelWriter(SHAPE, SyntheticWeightType.Q4_0, 6).write(otherSeed, threads, SyntheticModelWriter.Progress.NONE);
        assertTrue(Files.mismatch(one, otherSeed) >= 0);
    }

    /**
     * The layer matrices' type for rows of 64 elements: INT4 groups of 128 and Q4_K's 256-element
     * super-blocks do not fit, so INT4 groups of 32 and Q5_0, as {@code flashj quantize} falls back.
     */
    private static TensorType expectedQueryType(SyntheticWeightType type) {
        return switch (type) {
            case INT4_G128 -> TensorType.INT4_G32;
            case Q4_K -> TensorType.Q5_0;
            default -> type.tensorType();
        };
    }

    /** Mean near 0 and standard deviation near {@link SyntheticModelWriter#WEIGHT_STD}; no zero rows. */
    private static void assertWeightsLookRandom(Tensor t) {
        float[] values = Dequantizer.toFloats(t);
        double sum = 0;
        double squares = 0;
        for (float v : values) {
            sum += v;
            squares += (double) v * v;
        }
        double mean = sum / values.length;
        double std = Math.sqrt(squares / values.length - mean * mean);
        assertEquals(0, mean, 0.002, t.name());
        assertEquals(SyntheticModelWriter.WEIGHT_STD, std, 0.004, t.name());
        int cols = (int) t.cols();
        for (int r = 0; r < t.rows(); r++) {
            float[] row = new float[cols];
            System.arraycopy(values, r * cols, row, 0, cols);
            assertFalse(java.util.Arrays.equals(row, new float[cols]), t.name() + " row " + r + " is all zeros");
        }
    }

    private static void assertFiniteAndVaried(float[] logits, String what) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            assertTrue(Float.isFinite(v), what + ": non-finite logit " + v);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(max - min > 1e-3, what + ": logits are flat, " + min + " .. " + max);
    }

    @Test
    void fileNameIsReadable() {
        String name = SyntheticModelCache.fileName(SyntheticShape.TINYLLAMA_1_1B, SyntheticWeightType.Q8_0, 42);
        assertTrue(name.matches("tinyllama-1\\.1b-22L-q8_0-seed42-[0-9a-f]{8}\\.gguf"), name);
        assertEquals("flashj-synthetic", SyntheticModelCache.defaultDirectory().getFileName().toString());
    }
}
