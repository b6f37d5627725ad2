package dev.flashj.kv;

/**
 * The shape of a paged KV cache. A block holds {@code blockSize} tokens of one layer, keys and values
 * each in the NHD layout {@code [blockSize, numKvHeads, headDim]} float32; blocks are not tied to a
 * layer, so every layer of every sequence draws on the same pool and layers may keep different
 * numbers of tokens (PrefixKV).
 */
public record KvLayout(int numLayers, int numKvHeads, int headDim, int blockSize) {
    /** Tokens per block unless configured otherwise. */
    public static final int DEFAULT_BLOCK_SIZE = 16;

    public KvLayout {
        if (numLayers <= 0 || numKvHeads <= 0 || headDim <= 0 || blockSize <= 0) {
            throw new IllegalArgumentException("KV layout sizes must be positive: layers " + numLayers
                    + ", kv heads " + numKvHeads + ", head dim " + headDim + ", block size " + blockSize);
        }
        if ((long) blockSize * numKvHeads * headDim > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("a KV block of " + blockSize + " x " + numKvHeads + " x " + headDim
                    + " floats is too large");
        }
    }

    /** Floats of one token of one layer: {@code numKvHeads * headDim}. */
    public int kvDim() {
        return numKvHeads * headDim;
    }

    /** Floats of the keys (or of the values) of one block. */
    public int floatsPerBlock() {
        return blockSize * kvDim();
    }

    /** Bytes of one block, keys and values together. */
    public long bytesPerBlock() {
        return 2L * floatsPerBlock() * Float.BYTES;
    }

    /** Blocks needed for {@code tokens} entries. */
    public int blocksFor(long tokens) {
        return (int) Math.min(Integer.MAX_VALUE, (tokens + blockSize - 1) / blockSize);
    }
}
