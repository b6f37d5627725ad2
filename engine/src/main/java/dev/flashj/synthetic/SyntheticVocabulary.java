package dev.flashj.synthetic;

import dev.flashj.format.gguf.GgufArray;
import dev.flashj.format.gguf.GgufValueType;
import dev.flashj.format.gguf.GgufWriter;

/**
 * The smallest SentencePiece ("llama") vocabulary that loads like a real one: {@code <unk>},
 * {@code <s>}, {@code </s>}, the 256 byte tokens when there is room, {@code ▁} (the word boundary),
 * then filler words {@code ▁w<id>} up to the shape's size. Benchmarks feed token ids directly; the text is never the point.
 */
final class SyntheticVocabulary {
    static final int UNKNOWN = 0;
    static final int BOS = 1;
    static final int EOS = 2;
    /** GGUF token types: 1 normal, 2 unknown, 3 control, 6 byte. */
    private static final int NORMAL = 1;
    private static final int UNKNOWN_TYPE = 2;
    private static final int CONTROL = 3;
    private static final int BYTE = 6;

    private SyntheticVocabulary() {
    }

    /** Puts {@code tokenizer.ggml.*} for a vocabulary of {@code size} tokens (at least 3). */
    static void put(GgufWriter writer, int size) {
        if (size < 3) {
            throw new IllegalArgumentException("a vocabulary needs at least <unk>, <s> and </s>, got size " + size);
        }
        String[] tokens = new String[size];
        float[] scores = new float[size];
        long[] types = new long[size];
        boolean bytes = size >= 3 + 256 + 1;
        for (int id = 0; id < size; id++) {
            if (id == UNKNOWN) {
                tokens[id] = "<unk>";
                types[id] = UNKNOWN_TYPE;
            } else if (id == BOS || id == EOS) {
                tokens[id] = id == BOS ? "<s>" : "</s>";
                types[id] = CONTROL;
            } else if (bytes && id < 3 + 256) {
                tokens[id] = String.format(java.util.Locale.ROOT, "<0x%02X>", id - 3);
                types[id] = BYTE;
            } else if (id == firstWordId(size)) {
                tokens[id] = "▁"; // the word boundary alone, so that spaces never need byte fallback
                types[id] = NORMAL;
            } else {
                tokens[id] = "▁w" + id;
                types[id] = NORMAL;
            }
            scores[id] = -id;
        }
        writer.putString("tokenizer.ggml.model", "llama")
                .putArray("tokenizer.ggml.tokens", new GgufArray(GgufValueType.STRING, tokens))
                .putArray("tokenizer.ggml.scores", new GgufArray(GgufValueType.FLOAT32, scores))
                .putArray("tokenizer.ggml.token_type", new GgufArray(GgufValueType.INT32, types))
                .putUInt32("tokenizer.ggml.unknown_token_id", UNKNOWN)
                .putUInt32("tokenizer.ggml.bos_token_id", BOS)
                .putUInt32("tokenizer.ggml.eos_token_id", EOS);
    }

    /** The id of {@code ▁}, the first ordinary piece. */
    static int firstWordId(int size) {
        return size >= 3 + 256 + 1 ? 3 + 256 : 3;
    }
}
