package dev.flashj.cpu;


/**
 * Activations quantized to 8 bits per 32-element block, as llama.cpp's Q8_0: {@code d = max|x| / 127},
 * {@code q = round(x / d)} (half away from zero), so {@code x ≈ d * q} with {@code |q| <= 127}. The
 * integer kernels multiply these with integer weight codes and apply both scales once per block.
 *
 * <p>Codes are bytes (a token tile of them stays in cache), scales floats (one per block). Grow-only,
 * one instance per calling thread.
 */
final class Q8Activations {
    static final int BLOCK = 32;

    private static final ThreadLocal<Q8Activations> SCRATCH = ThreadLocal.withInitial(Q8Activations::new);

    private byte[] codes = new byte[0];
    private float[] scales = new float[0];

    private Q8Activations() {
    }

    /** The calling thread's buffers. */
    static Q8Activations scratch() {
        return SCRATCH.get();
    }

    /** Element codes: token t's block k starts at {@code (t * cols / 32 + k) * 32}. */
    byte[] codes() {
        return codes;
    }

    /** Block scales: token t's block k is at {@code t * cols / 32 + k}. */
    float[] scales() {
        return scales;
    }

    /**
     * Quantizes {@code batch} tokens of {@code cols} activations (a multiple of 32) starting at
     * {@code x[xOffset]}; replaces what the buffers held.
     */
    void quantize(float[] x, int xOffset, int batch, int cols) {
        int blocks = batch * (cols / BLOCK);
        if (codes.length < blocks * BLOCK) {
            codes = new byte[blocks * BLOCK];
            scales = new float[blocks];
        }
        quantizeBlocks(x, xOffset, blocks);
    }

    /**
     * Scalar on purpose: it runs a few dozen times per token, too rarely for C2 to compile it early,
     * and Vector API code left to the first-tier compiler boxes every vector (measured: twice the
     * decode time of a 4-layer model over its first hundred tokens).
     */
    private void quantizeBlocks(float[] x, int xOffset, int blocks) {
        for (int k = 0; k < blocks; k++) {
            int base = xOffset + BLOCK * k;
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) {
                amax = Math.max(amax, Math.abs(x[base + i]));
            }
            float d = amax / 127f;
            float inverse = d == 0 ? 0 : 1 / d;
            scales[k] = d;
            for (int i = 0; i < BLOCK; i++) {
                codes[BLOCK * k + i] = (byte) roundHalfAway(x[base + i] * inverse);
            }
        }
    }

    /** C's {@code roundf} for the values quantization produces ({@code |v| <= 127.5}). */
    static int roundHalfAway(float v) {
        return (int) (v + (v < 0 ? -0.5f : 0.5f));
    }
}
