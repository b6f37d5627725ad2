package dev.flashj.quant;

/** The C rounding functions GGML's reference quantizers use, with their exact float semantics. */
final class CRounding {
    private CRounding() {
    }

    /** C {@code roundf}: to nearest, halves away from zero (Java's Math.round rounds them up). */
    static int roundf(float v) {
        double a = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -a : a);
    }

    /** GGML's {@code nearest_int}: adds 1.5*2^23 in float, i.e. to nearest with ties to even. */
    static int nearestInt(float v) {
        return (int) Math.rint(v);
    }

    /** C's {@code (int8_t) f} for the small non-negative floats the 4/5-bit quantizers cast: truncation. */
    static int truncate(float v) {
        return (int) v;
    }

    /** GGML_FP32_TO_FP16 (round to nearest even), then back, as a block stores and reads a scale. */
    static short toHalf(float v) {
        return Float.floatToFloat16(v);
    }

    static void putHalf(byte[] out, int at, float v) {
        short h = toHalf(v);
        out[at] = (byte) h;
        out[at + 1] = (byte) (h >>> 8);
    }
}
