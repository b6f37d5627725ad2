package dev.flashj.cpu;


/**
 * Activations quantized to 8 bits per 32-element block, as llama.cpp's Q8_0: {@code d = max|x| / 127},
 * {@code q = round(x / d)} (half away from zero), so {@code x ≈ d * q} with {@code |q| <= 127}. The
 * integer kernels multiply these with integer weight codes and apply both scales once per block.
 *
 * <p>Grow-only buffers, one instance per calling thread.
 */
final class Q8Activations {
    static final int BLOCK = 32;

    private static final ThreadLocal<Q8Activations> SCRATCH = ThreadLocal.withInitial(Q8Activations::new);

    private float[] scales = new float[0];
    private int[] pairedCodes = new int[0];
    private float[] codeSums = new float[0];

    private Q8Activations() {
    }

    /** The calling thread's buffers. */
    static Q8Activations scratch() {
        return SCRATCH.get();
    }

    /**
     * Element codes, each repeated in both 16-bit halves of an int: broadcast as ints they fill 16-bit
     * lanes with one load (measured 13% faster for Q8_0 than broadcasting bytes). Token t's block k
     * starts at {@code (t * cols / 32 + k) * 32}.
     */
    int[] pairedCodes() {
        return pairedCodes;
    }

    /** The sum of each block's codes (exact), for formats with a per-block offset term. Indexed like {@link #scales()}. */
    float[] codeSums() {
        return codeSums;
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
        if (pairedCodes.length < blocks * BLOCK) {
            pairedCodes = new int[blocks * BLOCK];
            codeSums = new float[blocks];
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
            int sum = 0;
            for (int i = 0; i < BLOCK; i++) {
                int code = roundHalfAway(x[base + i] * inverse);
                sum += code;
                pairedCodes[BLOCK * k + i] = (code & 0xFFFF) | (code << 16);
            }
            codeSums[k] = sum;
        }
    }

    /** C's {@code roundf} for the values quantization produces ({@code |v| <= 127.5}). */
    static int roundHalfAway(float v) {
        return (int) (v + (v < 0 ? -0.5f : 0.5f));
    }
}
