package dev.flashj.format.gguf;

import dev.flashj.model.LlamaTensorNames;
import dev.flashj.tensor.TensorType;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Builds small LLaMA-shaped GGUF files with {@link GgufWriter} for tests: dim 32, 4 heads of 8, 2 KV heads,
 * feed-forward 64, 2 layers, 16-token SentencePiece-style vocabulary; random weights, some of them quantized.
 * Fields are public knobs a test changes before {@link #write}.
 */
final class TinyModelGguf {
    static final int DIM = 32;
    static final int HEADS = 4;
    static final int KV_HEADS = 2;
    static final int HEAD_DIM = 8;
    static final int HIDDEN = 64;
    static final int LAYERS = 2;
    static final int VOCAB = 16;

    String architecture = "llama";
    boolean tied = false;
    boolean attentionBias = false;
    /** Tensors to leave out. */
    final Set<String> omit = new HashSet<>();
    /** Tensors to write with another shape (outermost first). */
    final Map<String, long[]> reshape = new HashMap<>();
    /** Last changes to the metadata (after the defaults). */
    Consumer<GgufWriter> metadata = w -> {
    };

    void write(Path path) {
        String a = architecture;
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", a)
                .putString("general.name", "tiny test model")
                .putUInt32(a + ".embedding_length", DIM)
                .putUInt32(a + ".block_count", LAYERS)
                .putUInt32(a + ".feed_forward_length", HIDDEN)
                .putUInt32(a + ".attention.head_count", HEADS)
                .putUInt32(a + ".attention.head_count_kv", KV_HEADS)
                .putUInt32(a + ".context_length", 128)
                .putFloat32(a + ".attention.layer_norm_rms_epsilon", 1e-6f)
                .putFloat32(a + ".rope.freq_base", 500000f)
                .putString("tokenizer.ggml.model", "llama");
        String[] tokens = new String[VOCAB];
        float[] scores = new float[VOCAB];
        long[] types = new long[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            tokens[i] = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : "▁" + (char) ('a' + i);
            scores[i] = -i;
            types[i] = i < 3 ? (i == 0 ? 2 : 3) : 1;
        }
        w.putArray("tokenizer.ggml.tokens", new GgufArray(GgufValueType.STRING, tokens))
                .putArray("tokenizer.ggml.scores", new GgufArray(GgufValueType.FLOAT32, scores))
                .putArray("tokenizer.ggml.token_type", new GgufArray(GgufValueType.INT32, types))
                .putUInt32("tokenizer.ggml.bos_token_id", 1)
                .putUInt32("tokenizer.ggml.eos_token_id", 2)
                .putUInt32("tokenizer.ggml.unknown_token_id", 0);
        metadata.accept(w);

        Random random = new Random(42);
        for (Map.Entry<String, TensorSpec> e : tensors().entrySet()) {
            String name = e.getKey();
            if (omit.contains(name)) {
                continue;
            }
            TensorSpec spec = e.getValue();
            long[] shape = reshape.getOrDefault(name, spec.shape());
            TensorType type = shape[shape.length - 1] % spec.type().blockSize() == 0 ? spec.type() : TensorType.F32;
            long elements = 1;
            for (long d : shape) {
                elements *= d;
            }
            byte[] bytes = new byte[(int) type.bytesFor(elements)];
            random.nextBytes(bytes);
            if (type == TensorType.F32) {
                // Finite values: small random floats rather than random bit patterns.
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < elements; i++) {
                    b.putFloat(4 * i, (float) random.nextGaussian() * 0.1f);
                }
            } else {
                // Sane block scales: clear the top bits of each block's leading half (d).
                for (int blk = 0; blk < bytes.length; blk += type.bytesPerBlock()) {
                    bytes[blk + 1] = (byte) 0x20;
                }
            }
            w.addTensor(name, type, shape, bytes);
        }
        w.write(path);
    }

    private record TensorSpec(TensorType type, long... shape) {
    }

    private Map<String, TensorSpec> tensors() {
        Map<String, TensorSpec> t = new LinkedHashMap<>();
        t.put(LlamaTensorNames.TOKEN_EMBEDDING, new TensorSpec(TensorType.Q8_0, VOCAB, DIM));
        t.put(LlamaTensorNames.OUTPUT_NORM, new TensorSpec(TensorType.F32, DIM));
        if (!tied) {
            t.put(LlamaTensorNames.OUTPUT, new TensorSpec(TensorType.F16, VOCAB, DIM));
        }
        int q = HEADS * HEAD_DIM;
        int kv = KV_HEADS * HEAD_DIM;
        for (int l = 0; l < LAYERS; l++) {
            t.put(LlamaTensorNames.attentionNorm(l), new TensorSpec(TensorType.F32, DIM));
            t.put(LlamaTensorNames.query(l), new TensorSpec(TensorType.F32, q, DIM));
            t.put(LlamaTensorNames.key(l), new TensorSpec(TensorType.F32, kv, DIM));
            t.put(LlamaTensorNames.value(l), new TensorSpec(TensorType.Q4_0, kv, DIM));
            if (attentionBias) {
                t.put(LlamaTensorNames.queryBias(l), new TensorSpec(TensorType.F32, q));
                t.put(LlamaTensorNames.keyBias(l), new TensorSpec(TensorType.F32, kv));
                t.put(LlamaTensorNames.valueBias(l), new TensorSpec(TensorType.F32, kv));
            }
            t.put(LlamaTensorNames.attentionOutput(l), new TensorSpec(TensorType.F32, DIM, q));
            t.put(LlamaTensorNames.ffnNorm(l), new TensorSpec(TensorType.F32, DIM));
            t.put(LlamaTensorNames.ffnGate(l), new TensorSpec(TensorType.BF16, HIDDEN, DIM));
            t.put(LlamaTensorNames.ffnUp(l), new TensorSpec(TensorType.F32, HIDDEN, DIM));
            t.put(LlamaTensorNames.ffnDown(l), new TensorSpec(TensorType.Q5_1, DIM, HIDDEN));
        }
        return t;
    }
}
