package dev.flashj.ops;

/**
 * How lightning attention is tiled, which never changes what it computes (up to rounding): the
 * sequence is cut into blocks of {@code blockSize} tokens, each handled as a masked quadratic form
 * plus the running state of the blocks before it.
 *
 * @param blockSize tokens per block, or {@link #AUTO} to let the backend choose
 */
public record LightningTuning(int blockSize) {
    public static final int AUTO = 0;

    /** The backend's choice. */
    public static final LightningTuning DEFAULT = new LightningTuning(AUTO);

    /** The block size to use, {@code fallback} when AUTO. */
    public int blockSizeOr(int fallback) {
        return blockSize == AUTO ? fallback : blockSize;
    }
}
