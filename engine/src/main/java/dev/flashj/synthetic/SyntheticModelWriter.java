package dev.flashj.synthetic;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.format.gguf.GgufWriter;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.quant.WeightQuantizer;
import dev.flashj.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a LLaMA GGUF file of a {@link SyntheticShape} with random weights, loadable by
 * {@code ModelLoader} like any checkpoint. Matrices (embedding and output included) are drawn from
 * N(0, {@value #WEIGHT_STD}) and stored in the type {@link SyntheticWeightType#matrixType} names
 * (quantized by {@link WeightQuantizer}, as {@code flashj quantize} does). Norm weights are
 * 1 + N(0, 0.02), always F32. Values depend only on the seed and the tensor, never on the thread
 * count: each run of {@value #ROWS_PER_TASK} rows draws from its own generator.
 */
public final class SyntheticModelWriter {
    /** Standard deviation of the random matrix weights (GPT-2/LLaMA's initializer scale). */
    public static final double WEIGHT_STD = 0.02;
    private static final int ROWS_PER_TASK = 16;

    /** Called after each tensor: bytes written so far and in all. */
    @FunctionalInterface
    public interface Progress {
        void written(long bytes, long totalBytes);

        Progress NONE = (bytes, total) -> {
        };
    }

    private final SyntheticShape shape;
    private final SyntheticWeightType type;
    private final long seed;

    public SyntheticModelWriter(SyntheticShape shape, SyntheticWeightType type, long seed) {
        this.shape = shape;
        this.type = type;
        this.seed = seed;
    }

    /** Writes the model to {@code path} (replacing it), drawing weights on {@code threads}. */
    public void write(Path path, CpuThreads threads, Progress progress) {
        SyntheticShape s = shape;
        String a = "llama";
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", a)
                .putString("general.name", "synthetic " + s.name() + " " + type.cliName() + " (random weights)")
                .putUInt32(a + ".embedding_length", s.hidden())
                .putUInt32(a + ".block_count", s.layers())
                .putUInt32(a + ".feed_forward_length", s.ffn())
                .putUInt32(a + ".attention.head_count", s.heads())
                .putUInt32(a + ".attention.head_count_kv", s.kvHeads())
                .putUInt32(a + ".attention.key_length", s.headDim())
                .putUInt32(a + ".attention.value_length", s.headDim())
                .putUInt32(a + ".rope.dimension_count", s.headDim())
                .putUInt32(a + ".context_length", s.context())
                .putFloat32(a + ".attention.layer_norm_rms_epsilon", 1e-5f)
                .putFloat32(a + ".rope.freq_base", s.ropeTheta())
                .putString("flashj.synthetic.shape", s.toString())
                .putString("flashj.synthetic.weight_type", type.cliName())
                .putUInt64("flashj.synthetic.seed", seed);
        SyntheticVocabulary.put(w, s.vocab());

        TensorPlan plan = new TensorPlan(threads, progress);
        int q = s.heads() * s.headDim();
        int kv = s.kvHeads() * s.headDim();
        plan.matrix(w, LlamaTensorNames.TOKEN_EMBEDDING, s.vocab(), s.hidden());
        plan.norm(w, LlamaTensorNames.OUTPUT_NORM, s.hidden());
        plan.matrix(w, LlamaTensorNames.OUTPUT, s.vocab(), s.hidden());
        for (int l = 0; l < s.layers(); l++) {
            plan.norm(w, LlamaTensorNames.attentionNorm(l), s.hidden());
            plan.matrix(w, LlamaTensorNames.query(l), q, s.hidden());
            plan.matrix(w, LlamaTensorNames.key(l), kv, s.hidden());
            plan.matrix(w, LlamaTensorNames.value(l), kv, s.hidden());
            plan.matrix(w, LlamaTensorNames.attentionOutput(l), s.hidden(), q);
            plan.norm(w, LlamaTensorNames.ffnNorm(l), s.hidden());
            plan.matrix(w, LlamaTensorNames.ffnGate(l), s.ffn(), s.hidden());
            plan.matrix(w, LlamaTensorNames.ffnUp(l), s.ffn(), s.hidden());
            plan.matrix(w, LlamaTensorNames.ffnDown(l), s.hidden(), s.ffn());
        }
        w.write(path);
    }

    /** Adds tensors with generated contents, numbering them for their seeds and counting bytes for progress. */
    private final class TensorPlan {
        private final CpuThreads threads;
        private final Progress progress;
        private long totalBytes;
        private long writtenBytes;
        private int tensorIndex;

        TensorPlan(CpuThreads threads, Progress progress) {
            this.threads = threads;
            this.progress = progress;
        }

        void matrix(GgufWriter w, String name, int rows, int cols) {
            add(w, name, type.matrixType(name, cols), rows, cols, 0, WEIGHT_STD);
        }

        void norm(GgufWriter w, String name, int size) {
            add(w, name, TensorType.F32, 1, size, 1, WEIGHT_STD);
        }

        private void add(GgufWriter w, String name, TensorType t, int rows, int cols, double mean, double std) {
            long tensorSeed = seed * 0x9E3779B97F4A7C15L + tensorIndex++;
            long[] shape = rows == 1 ? new long[]{cols} : new long[]{rows, cols};
            totalBytes += t.matrixBytes(rows, cols);
            w.addTensor(name, t, shape, target -> {
                fill(target, t, rows, cols, tensorSeed, mean, std);
                writtenBytes += target.byteSize();
                progress.written(writtenBytes, totalBytes);
            });
        }

        private void fill(MemorySegment target, TensorType t, int rows, int cols, long tensorSeed, double mean, double std) {
            int tasks = Math.ceilDiv(rows, ROWS_PER_TASK);
            threads.parallelFor(tasks, (start, end) -> {
                float[] values = new float[ROWS_PER_TASK * cols];
                for (int task = start; task < end; task++) {
                    SplittableRandom random = new SplittableRandom(tensorSeed ^ (task * 0xBF58476D1CE4E5B9L));
                    int first = task * ROWS_PER_TASK;
                    int count = Math.min(rows, first + ROWS_PER_TASK) - first;
                    for (int i = 0; i < count * cols; i++) {
                        values[i] = (float) (mean + std * random.nextGaussian());
                    }
                    WeightQuantizer.quantizeRows(t, values, count, cols, target, rows, first);
                }
            });
        }
    }
}
