package dev.flashj.cpu;

/**
 * Grow-only per-thread scratch buffers of the matrix kernels, so that no call allocates once the
 * buffers have reached the model's sizes.
 */
final class MatMulScratch {
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[][]{new float[0], new float[0], new float[QuantVectors.L]});

    private MatMulScratch() {
    }

    /** A buffer of at least {@code n} floats for decoded weight rows. */
    static float[] row(int n) {
        return get(0, n);
    }

    /** A buffer of at least {@code n} floats for activation block sums. */
    static float[] sums(int n) {
        return get(1, n);
    }

    /** A buffer of {@link QuantVectors#L} floats for lane sums. */
    static float[] lanes() {
        return BUFFERS.get()[2];
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
