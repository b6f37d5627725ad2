package dev.flashj.format.llama2c;

import dev.flashj.FlashjException;

import java.nio.file.Path;

/**
 * The seven int32 values that open a llama2.c legacy checkpoint, validated.
 *
 * @param sharedClassifier the output head reuses the token embedding (vocab_size was positive)
 */
public record Llama2cHeader(int dim, int hiddenDim, int numLayers, int numHeads, int numKvHeads,
                            int vocabSize, boolean sharedClassifier, int seqLen) {

    /** Bytes of the header. */
    public static final int BYTES = 7 * Integer.BYTES;

    /** "ak42" read as a little-endian int: the magic of llama2.c's newer (version 1+) export format. */
    private static final int VERSIONED_MAGIC = 0x616b3432;

    /** Validates raw header values (in file order) before anything is sliced. */
    public static Llama2cHeader of(Path file, int[] raw) {
        if (raw[0] == VERSIONED_MAGIC) {
            throw FlashjException.badFile(file, "magic", "this is a versioned llama2.c export ('ak42');"
                    + " FlashJ reads the legacy format (export with --version 0)");
        }
        int dim = positive(file, "dim", raw[0]);
        int hidden = positive(file, "hidden_dim", raw[1]);
        int layers = positive(file, "n_layers", raw[2]);
        int heads = positive(file, "n_heads", raw[3]);
        int kvHeads = positive(file, "n_kv_heads", raw[4]);
        int signedVocab = raw[5];
        if (signedVocab == 0 || signedVocab == Integer.MIN_VALUE) {
            throw FlashjException.badFile(file, "vocab_size", "invalid value " + signedVocab);
        }
        int seqLen = positive(file, "seq_len", raw[6]);
        if (dim % heads != 0) {
            throw FlashjException.badFile(file, "n_heads", heads + " does not divide dim " + dim);
        }
        if (heads % kvHeads != 0) {
            throw FlashjException.badFile(file, "n_kv_heads", kvHeads + " does not divide n_heads " + heads);
        }
        if ((dim / heads) % 2 != 0) {
            throw FlashjException.badFile(file, "n_heads", "head size " + dim / heads + " must be even for RoPE");
        }
        return new Llama2cHeader(dim, hidden, layers, heads, kvHeads, Math.abs(signedVocab), signedVocab > 0, seqLen);
    }

    private static int positive(Path file, String field, int value) {
        if (value <= 0) {
            throw FlashjException.badFile(file, field, "must be positive, found " + value);
        }
        return value;
    }

    public int headSize() {
        return dim / numHeads;
    }

    public int kvDim() {
        return numKvHeads * headSize();
    }
}
