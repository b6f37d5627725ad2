package dev.flashj.bench;

import dev.flashj.format.gguf.GgufArray;
import dev.flashj.format.gguf.GgufValueType;
import dev.flashj.format.gguf.GgufWriter;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.tensor.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

/**
 * A LLaMA-shaped GGUF file with random F32 weights (fixed seed) and a placeholder SentencePiece
 * vocabulary, for benchmarks that need a model of a chosen size.
 */
final class RandomLlamaFile {
    /** The sizes of the model: head dim is {@code dim / heads}. */
    record Shape(int dim, int hidden, int layers, int heads, int kvHeads, int vocab) {
        int headDim() {
            return dim / heads;
        }

        /** Bytes of weights (F32). */
        long weightBytes() {
            long perLayer = 2L * dim * dim + 2L * dim * kvHeads * headDim() + 3L * dim * hidden + 2L * dim;
            return 4 * (layers * perLayer + 2L * vocab * dim + dim);
        }
    }

    private RandomLlamaFile() {
    }

    static void write(Path path, Shape shape, int context, String name) {
        String a = "llama";
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", a)
                .putString("general.name", name)
                .putUInt32(a + ".embedding_length", shape.dim())
                .putUInt32(a + ".block_count", shape.layers())
                .putUInt32(a + ".feed_forward_length", shape.hidden())
                .putUInt32(a + ".attention.head_count", shape.heads())
                .putUInt32(a + ".attention.head_count_kv", shape.kvHeads())
                .putUInt32(a + ".context_length", context)
                .putFloat32(a + ".attention.layer_norm_rms_epsilon", 1e-5f)
                .putFloat32(a + ".rope.freq_base", 10000f)
                .putString("tokenizer.ggml.model", "llama");
        int vocab = shape.vocab();
        String[] tokens = new String[vocab];
        float[] scores = new float[vocab];
        long[] types = new long[vocab];
        for (int i = 0; i < vocab; i++) {
            tokens[i] = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : "▁t" + i;
            scores[i] = -i;
            types[i] = i < 3 ? (i == 0 ? 2 : 3) : 1;
        }
        w.putArray("tokenizer.ggml.tokens", new GgufArray(GgufValueType.STRING, tokens))
                .putArray("tokenizer.ggml.scores", new GgufArray(GgufValueType.FLOAT32, scores))
                .putArray("tokenizer.ggml.token_type", new GgufArray(GgufValueType.INT32, types))
                .putUInt32("tokenizer.ggml.bos_token_id", 1)
                .putUInt32("tokenizer.ggml.eos_token_id", 2)
                .putUInt32("tokenizer.ggml.unknown_token_id", 0);
        int dim = shape.dim();
        int hidden = shape.hidden();
        int kvDim = shape.kvHeads() * shape.headDim();
        Random rnd = new Random(42);
        add(w, rnd, LlamaTensorNames.TOKEN_EMBEDDING, 1.0, 0, vocab, dim);
        add(w, rnd, LlamaTensorNames.OUTPUT_NORM, 0.1, 1, dim);
        add(w, rnd, LlamaTensorNames.OUTPUT, 1 / Math.sqrt(dim), 0, vocab, dim);
        for (int l = 0; l < shape.layers(); l++) {
            add(w, rnd, LlamaTensorNames.attentionNorm(l), 0.1, 1, dim);
            add(w, rnd, LlamaTensorNames.query(l), 2 / Math.sqrt(dim), 0, dim, dim);
            add(w, rnd, LlamaTensorNames.key(l), 2 / Math.sqrt(dim), 0, kvDim, dim);
            add(w, rnd, LlamaTensorNames.value(l), 1 / Math.sqrt(dim), 0, kvDim, dim);
            add(w, rnd, LlamaTensorNames.attentionOutput(l), 1 / Math.sqrt(dim), 0, dim, dim);
            add(w, rnd, LlamaTensorNames.ffnNorm(l), 0.1, 1, dim);
            add(w, rnd, LlamaTensorNames.ffnGate(l), 1 / Math.sqrt(dim), 0, hidden, dim);
            add(w, rnd, LlamaTensorNames.ffnUp(l), 1 / Math.sqrt(dim), 0, hidden, dim);
            add(w, rnd, LlamaTensorNames.ffnDown(l), 1 / Math.sqrt(hidden), 0, dim, hidden);
        }
        w.write(path);
    }

    private static void add(GgufWriter w, Random rnd, String name, double scale, double mean, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate((int) n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat((float) (mean + scale * rnd.nextGaussian()));
        }
        w.addTensor(name, TensorType.F32, shape, b.array());
    }
}
