package dev.flashj.cpu;

/**
 * Grow-only per-thread scratch buffers of the matrix kernels, so that no call allocates once the
 * buffers have reached the model's sizes.
 */
final class MatMulScratch {
    /** Floats in {@link #lanes()}: a vector's lanes, and at least 16 (the per-super-block scales of the k-quant kernels). */
    static final int LANES = Math.max(16, QuantVectors.L);

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[][]{
            new float[0], new float[0], new float[LANES], new float[FloatTile.ROWS * FloatTile.TOKENS * QuantVectors.L],
            new float[FloatTile.ROWS * FloatTile.TOKENS], new float[0], new float[0], new float[0]});

    private MatMulScratch() {
    }

    /** A buffer of at least {@code n} floats for a decoded weight row. */
    static float[] row(int n) {
        return get(0, n);
    }

    /** Buffer {@code r} (0 to {@link FloatTile#ROWS} - 1) of at least {@code n} floats for a panel of decoded rows; the first is {@link #row}. */
    static float[] panelRow(int r, int n) {
        return get(r == 0 ? 0 : 4 + r, n);
    }

    /** A buffer of at least {@code n} floats for activation block sums. */
    static float[] sums(int n) {
        return get(1, n);
    }

    /** A buffer of {@link #LANES} floats for lane sums and per-block scales. */
    static float[] lanes() {
        return BUFFERS.get()[2];
    }

    /** Lane scratch of the tile kernel: {@code ROWS * TOKENS * L} floats. */
    static float[] tileLanes() {
        return BUFFERS.get()[3];
    }

    /** The {@code ROWS * TOKENS} sums of one tile. */
    static float[] tileSums() {
        return BUFFERS.get()[4];
    }

    private static float[] get(int which, int n) {
        float[][] buffers = BUFFERS.get();
        float[] b = buffers[which];
        if (b.length < n) {
            b = new float[Math.max(n, b.length + (b.length >> 1))];
            buffers[which] = b;
        }
        return b;
    }
}
