package dev.flashj.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Decodes tensor elements of every {@link TensorType} to floats, one GGML block at a time (scalar
 * code: for loading, checks and reference results, not for the hot matmul path). Block layouts are
 * GGML's; every multi-byte field is little-endian, halves are IEEE binary16.
 */
public final class Dequantizer {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Elements converted per bulk copy for the plain (F16/BF16) types. */
    private static final int CHUNK = 4096;

    private Dequantizer() {
    }

    /**
     * Decodes {@code count} elements of {@code t}, starting at element {@code first}, into {@code dst}.
     * For quantized types {@code first} and {@code count} must be multiples of the block size.
     */
    public static void dequantize(Tensor t, long first, float[] dst, int dstOffset, int count) {
        switch (t.type()) {
            case INT4_G128, INT4_G32 -> Int4Layout.decode(t.type(), t.data(), t.cols(), first, dst, dstOffset, count);
            case FP8_E4M3 -> Fp8Layout.decode(t.data(), t.cols(), first, dst, dstOffset, count);
            default -> dequantize(t.type(), t.data(), first, dst, dstOffset, count);
        }
    }

    /**
     * Same, on raw bytes of the given GGML type (element 0 at byte 0 of {@code src}). FlashJ's own
     * formats need the matrix shape: use the {@link Tensor} overload for them.
     */
    public static void dequantize(TensorType type, MemorySegment src, long first, float[] dst, int dstOffset, int count) {
        if (type.isFlashjFormat()) {
            throw new IllegalArgumentException(type + " needs the matrix shape: dequantize the Tensor");
        }
        Objects.checkFromIndexSize(dstOffset, count, dst.length);
        int blockSize = type.blockSize();
        if (first < 0 || first % blockSize != 0 || count % blockSize != 0) {
            throw new IllegalArgumentException(type + ": first element " + first + " and count " + count
                    + " must be non-negative multiples of the block size " + blockSize);
        }
        long available = src.byteSize() / type.bytesPerBlock() * blockSize;
        Objects.checkFromIndexSize(first, count, available);
        switch (type) {
            case F32 -> MemorySegment.copy(src, F32_LE, first * 4, dst, dstOffset, count);
            case F16, BF16 -> halves(type, src, first, dst, dstOffset, count);
            default -> blocks(type, src, first / blockSize, dst, dstOffset, count / blockSize);
        }
    }

    /** Decodes a whole tensor (at most 2^31-1 elements) into a new array. */
    public static float[] toFloats(Tensor t) {
        long n = t.numElements();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + t.name() + " has too many elements for one array: " + n);
        }
        float[] out = new float[(int) n];
        dequantize(t, 0, out, 0, out.length);
        return out;
    }

    private static void halves(TensorType type, MemorySegment src, long first, float[] dst, int dstOffset, int count) {
        short[] bits = new short[Math.min(CHUNK, count)];
        for (int done = 0; done < count; done += bits.length) {
            int n = Math.min(bits.length, count - done);
            MemorySegment.copy(src, I16_LE, (first + done) * 2, bits, 0, n);
            for (int i = 0; i < n; i++) {
                dst[dstOffset + done + i] = type == TensorType.F16
                        ? Float.float16ToFloat(bits[i])
                        : Float.intBitsToFloat(bits[i] << 16);
            }
        }
    }

    private static void blocks(TensorType type, MemorySegment src, long firstBlock, float[] dst, int dstOffset, int blocks) {
        int blockBytes = type.bytesPerBlock();
        byte[] b = new byte[blockBytes];
        for (int i = 0; i < blocks; i++) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, (firstBlock + i) * blockBytes, b, 0, blockBytes);
            int y = dstOffset + i * type.blockSize();
            switch (type) {
                case Q4_0 -> q4_0(b, dst, y);
                case Q4_1 -> q4_1(b, dst, y);
                case Q5_0 -> q5_0(b, dst, y);
                case Q5_1 -> q5_1(b, dst, y);
                case Q8_0 -> q8_0(b, dst, y);
                case Q2_K -> q2_K(b, dst, y);
                case Q3_K -> q3_K(b, dst, y);
                case Q4_K -> q4_K(b, dst, y);
                case Q5_K -> q5_K(b, dst, y);
                case Q6_K -> q6_K(b, dst, y);
                case Q8_K -> q8_K(b, dst, y);
                default -> throw new IllegalStateException("not a block type: " + type);
            }
        }
    }

    // --- 32-element blocks. Element j < 16 sits in the low nibble of qs[j], element j + 16 in its high nibble.

    /** Q4_0: half d, 16 bytes of nibbles; x = (q - 8) * d. */
    private static void q4_0(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        for (int j = 0; j < 16; j++) {
            int q = b[2 + j] & 0xFF;
            y[o + j] = ((q & 0xF) - 8) * d;
            y[o + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    /** Q4_1: half d, half m, 16 bytes of nibbles; x = q * d + m. */
    private static void q4_1(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        float m = half(b, 2);
        for (int j = 0; j < 16; j++) {
            int q = b[4 + j] & 0xFF;
            y[o + j] = (q & 0xF) * d + m;
            y[o + j + 16] = (q >>> 4) * d + m;
        }
    }

    /** Q5_0: half d, u32 qh (bit j = 5th bit of element j), 16 bytes of nibbles; x = (q - 16) * d. */
    private static void q5_0(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        int qh = u32(b, 2);
        for (int j = 0; j < 16; j++) {
            int q = b[6 + j] & 0xFF;
            int lo = (q & 0xF) | (((qh >>> j) & 1) << 4);
            int hi = (q >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
            y[o + j] = (lo - 16) * d;
            y[o + j + 16] = (hi - 16) * d;
        }
    }

    /** Q5_1: half d, half m, u32 qh, 16 bytes of nibbles; x = q * d + m. */
    private static void q5_1(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        float m = half(b, 2);
        int qh = u32(b, 4);
        for (int j = 0; j < 16; j++) {
            int q = b[8 + j] & 0xFF;
            int lo = (q & 0xF) | (((qh >>> j) & 1) << 4);
            int hi = (q >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
            y[o + j] = lo * d + m;
            y[o + j + 16] = hi * d + m;
        }
    }

    /** Q8_0: half d, 32 signed bytes; x = q * d. */
    private static void q8_0(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        for (int j = 0; j < 32; j++) {
            y[o + j] = b[2 + j] * d;
        }
    }

    // --- 256-element super-blocks (K-quants).

    /**
     * Q2_K: scales[16] (low nibble scale, high nibble min, per 16 elements), qs[64] (2-bit quants),
     * half d, half dmin. Each 128-element half uses 32 qs bytes four times, at shifts 0, 2, 4, 6.
     */
    private static void q2_K(byte[] b, float[] y, int o) {
        float d = half(b, 80);
        float dmin = half(b, 82);
        for (int e = 0; e < 256; e++) {
            int half = e / 128;
            int group = (e % 128) / 32;        // which shift
            int l = e % 32;                    // byte within the half's 32 qs bytes
            int q = ((b[16 + 32 * half + l] & 0xFF) >>> (2 * group)) & 3;
            int sc = b[e / 16] & 0xFF;
            y[o + e] = d * (sc & 0xF) * q - dmin * (sc >>> 4);
        }
    }

    /**
     * Q3_K: hmask[32] (3rd bit), qs[64] (low 2 bits), scales[12] (sixteen 6-bit scales, offset by 32),
     * half d. Element e = 128h + 32g + l takes bits (2g) of qs[32h + l] and bit (4h + g) of hmask[l];
     * a clear high bit subtracts 4.
     */
    private static void q3_K(byte[] b, float[] y, int o) {
        float d = half(b, 108);
        for (int e = 0; e < 256; e++) {
            int h = e / 128;
            int g = (e % 128) / 32;
            int l = e % 32;
            int low = ((b[32 + 32 * h + l] & 0xFF) >>> (2 * g)) & 3;
            boolean high = ((b[l] >>> (4 * h + g)) & 1) != 0;
            int q = low - (high ? 0 : 4);
            y[o + e] = d * (q3Scale(b, e / 16) - 32) * q;
        }
    }

    /** Scale i of Q3_K: low 4 bits from a nibble of bytes 96..103, high 2 bits from bytes 104..107. */
    private static int q3Scale(byte[] b, int i) {
        int low = i < 8 ? b[96 + i] & 0xF : (b[96 + i - 8] & 0xFF) >>> 4;
        int high = ((b[96 + 8 + i % 4] & 0xFF) >>> (2 * (i / 4))) & 3;
        return low | (high << 4);
    }

    /**
     * Q4_K: half d, half dmin, scales[12] (eight 6-bit scale/min pairs), qs[128]. Each 64-element
     * group takes the low nibbles of 32 qs bytes, then their high nibbles, each with its own scale/min.
     */
    private static void q4_K(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        float dmin = half(b, 2);
        for (int e = 0; e < 256; e++) {
            int sub = e / 32;                  // scale/min pair
            int l = e % 32;
            int q = b[16 + 32 * (sub / 2) + l] & 0xFF;
            q = sub % 2 == 0 ? q & 0xF : q >>> 4;
            y[o + e] = d * kScale(b, 4, sub) * q - dmin * kMin(b, 4, sub);
        }
    }

    /** Q5_K: like Q4_K, plus qh[32] after the scales: bit {@code sub} of qh[l] is the 5th bit. */
    private static void q5_K(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        float dmin = half(b, 2);
        for (int e = 0; e < 256; e++) {
            int sub = e / 32;
            int l = e % 32;
            int q = b[48 + 32 * (sub / 2) + l] & 0xFF;
            q = sub % 2 == 0 ? q & 0xF : q >>> 4;
            q |= ((b[16 + l] >>> sub) & 1) << 4;
            y[o + e] = d * kScale(b, 4, sub) * q - dmin * kMin(b, 4, sub);
        }
    }

    /** 6-bit scale j of the 12 packed bytes at {@code at} (Q4_K/Q5_K). */
    private static int kScale(byte[] b, int at, int j) {
        return j < 4 ? b[at + j] & 63 : (b[at + j + 4] & 0xF) | (((b[at + j - 4] & 0xFF) >>> 6) << 4);
    }

    /** 6-bit min j of the 12 packed bytes at {@code at} (Q4_K/Q5_K). */
    private static int kMin(byte[] b, int at, int j) {
        return j < 4 ? b[at + j + 4] & 63 : ((b[at + j + 4] & 0xFF) >>> 4) | (((b[at + j] & 0xFF) >>> 6) << 4);
    }

    /**
     * Q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], half d; x = d * scale * (q - 32).
     * Element e = 128h + 32g + l: nibble (g / 2) of ql[64h + 32(g % 2) + l], bits (2g) of qh[32h + l].
     */
    private static void q6_K(byte[] b, float[] y, int o) {
        float d = half(b, 208);
        for (int e = 0; e < 256; e++) {
            int h = e / 128;
            int g = (e % 128) / 32;
            int l = e % 32;
            int ql = b[64 * h + 32 * (g % 2) + l] & 0xFF;
            int low = g < 2 ? ql & 0xF : ql >>> 4;
            int high = ((b[128 + 32 * h + l] & 0xFF) >>> (2 * g)) & 3;
            int q = (low | (high << 4)) - 32;
            int scale = b[192 + e / 16];
            y[o + e] = d * scale * q;
        }
    }

    /** Q8_K: float d, int8 qs[256], int16 bsums[16] (sums, unused for decoding); x = d * q. */
    private static void q8_K(byte[] b, float[] y, int o) {
        float d = Float.intBitsToFloat(u32(b, 0));
        for (int e = 0; e < 256; e++) {
            y[o + e] = d * b[4 + e];
        }
    }

    private static float half(byte[] b, int at) {
        return Float.float16ToFloat((short) ((b[at] & 0xFF) | (b[at + 1] << 8)));
    }

    private static int u32(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }
}
