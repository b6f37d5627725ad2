package dev.flashj.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every tensor type on hand-built blocks: each test packs chosen quants, scales and mins into the
 * GGML block layout (an encoder written here from the layout definition) and compares the decoded
 * floats with values computed in double from the chosen numbers.
 */
class DequantizerTest {
    private static final int BLOCKS = 5;

    /** A block type's test case: the packed bytes of BLOCKS blocks and the expected element values. */
    private record Case(byte[] bytes, double[] expected) {
    }

    private interface BlockBuilder {
        /** Fills one block at {@code b}[0..] and its expected values at {@code x}[0..]. */
        void build(Random r, ByteBuffer b, double[] x);
    }

    private static Case build(TensorType type, long seed, BlockBuilder builder) {
        Random r = new Random(seed);
        byte[] bytes = new byte[BLOCKS * type.bytesPerBlock()];
        double[] expected = new double[BLOCKS * type.blockSize()];
        for (int i = 0; i < BLOCKS; i++) {
            ByteBuffer block = ByteBuffer.wrap(bytes, i * type.bytesPerBlock(), type.bytesPerBlock()).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            double[] x = new double[type.blockSize()];
            builder.build(r, block, x);
            System.arraycopy(x, 0, expected, i * type.blockSize(), x.length);
        }
        return new Case(bytes, expected);
    }

    /** A random scale exactly representable as a half, sign included. */
    private static float randomHalf(Random r, float magnitude) {
        return Float.float16ToFloat(Float.floatToFloat16((float) ((r.nextDouble() * 2 - 1) * magnitude)));
    }

    private static void putHalf(ByteBuffer b, int at, float v) {
        b.putShort(at, Float.floatToFloat16(v));
    }

    private static void check(TensorType type, Case c) {
        MemorySegment src = MemorySegment.ofArray(c.bytes());
        float[] all = new float[c.expected().length];
        Dequantizer.dequantize(type, src, 0, all, 0, all.length);
        assertClose(type, c.expected(), 0, all, 0, all.length);

        // A middle range of whole blocks, written at an offset in the destination.
        int bs = type.blockSize();
        float[] part = new float[7 + 2 * bs];
        Dequantizer.dequantize(type, src, 2L * bs, part, 7, 2 * bs);
        assertClose(type, c.expected(), 2 * bs, part, 7, 2 * bs);
    }

    private static void assertClose(TensorType type, double[] expected, int from, float[] actual, int at, int n) {
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double tolerance = 1e-6 * scale + 1e-30;
        for (int i = 0; i < n; i++) {
            assertEquals(expected[from + i], actual[at + i], tolerance, type + " element " + (from + i));
        }
    }

    @Test
    void f32() {
        check(TensorType.F32, build(TensorType.F32, 1, (r, b, x) -> {
            float v = (float) r.nextGaussian();
            b.putFloat(0, v);
            x[0] = v;
        }));
    }

    @Test
    void f16() {
        check(TensorType.F16, build(TensorType.F16, 2, (r, b, x) -> {
            // sign * 2^(exponent - 15) * (1 + mantissa / 1024), from the binary16 definition
            int sign = r.nextInt(2);
            int exponent = 1 + r.nextInt(30);
            int mantissa = r.nextInt(1024);
            b.putShort(0, (short) (sign << 15 | exponent << 10 | mantissa));
            x[0] = (sign == 1 ? -1 : 1) * Math.pow(2, exponent - 15) * (1 + mantissa / 1024.0);
        }));
        // A subnormal: 2^-14 * mantissa / 1024.
        float[] out = new float[1];
        Dequantizer.dequantize(TensorType.F16, MemorySegment.ofArray(new byte[]{3, 0}), 0, out, 0, 1);
        assertEquals(Math.pow(2, -14) * 3 / 1024, out[0], 0);
    }

    @Test
    void bf16() {
        check(TensorType.BF16, build(TensorType.BF16, 3, (r, b, x) -> {
            int sign = r.nextInt(2);
            int exponent = 1 + r.nextInt(254);
            int mantissa = r.nextInt(128);
            b.putShort(0, (short) (sign << 15 | exponent << 7 | mantissa));
            x[0] = (sign == 1 ? -1 : 1) * Math.pow(2, exponent - 127) * (1 + mantissa / 128.0);
        }));
    }

    @Test
    void q4_0() {
        check(TensorType.Q4_0, build(TensorType.Q4_0, 4, (r, b, x) -> {
            float d = randomHalf(r, 0.1f);
            putHalf(b, 0, d);
            int[] q = new int[32];
            for (int j = 0; j < 32; j++) {
                q[j] = r.nextInt(16);
                x[j] = (double) d * (q[j] - 8);
            }
            for (int j = 0; j < 16; j++) {
                b.put(2 + j, (byte) (q[j] | q[j + 16] << 4));
            }
        }));
    }

    @Test
    void q4_1() {
        check(TensorType.Q4_1, build(TensorType.Q4_1, 5, (r, b, x) -> {
            float d = randomHalf(r, 0.1f);
            float m = randomHalf(r, 1f);
            putHalf(b, 0, d);
            putHalf(b, 2, m);
            int[] q = new int[32];
            for (int j = 0; j < 32; j++) {
                q[j] = r.nextInt(16);
                x[j] = (double) d * q[j] + m;
            }
            for (int j = 0; j < 16; j++) {
                b.put(4 + j, (byte) (q[j] | q[j + 16] << 4));
            }
        }));
    }

    @Test
    void q5_0() {
        check(TensorType.Q5_0, build(TensorType.Q5_0, 6, (r, b, x) -> {
            float d = randomHalf(r, 0.1f);
            putHalf(b, 0, d);
            int[] q = new int[32];
            int qh = 0;
            for (int j = 0; j < 32; j++) {
                q[j] = r.nextInt(32);
                x[j] = (double) d * (q[j] - 16);
                qh |= (q[j] >> 4) << j;
            }
            b.putInt(2, qh);
            for (int j = 0; j < 16; j++) {
                b.put(6 + j, (byte) ((q[j] & 15) | (q[j + 16] & 15) << 4));
            }
        }));
    }

    @Test
    void q5_1() {
        check(TensorType.Q5_1, build(TensorType.Q5_1, 7, (r, b, x) -> {
            float d = randomHalf(r, 0.1f);
            float m = randomHalf(r, 1f);
            putHalf(b, 0, d);
            putHalf(b, 2, m);
            int[] q = new int[32];
            int qh = 0;
            for (int j = 0; j < 32; j++) {
                q[j] = r.nextInt(32);
                x[j] = (double) d * q[j] + m;
                qh |= (q[j] >> 4) << j;
            }
            b.putInt(4, qh);
            for (int j = 0; j < 16; j++) {
                b.put(8 + j, (byte) ((q[j] & 15) | (q[j + 16] & 15) << 4));
            }
        }));
    }

    @Test
    void q8_0() {
        check(TensorType.Q8_0, build(TensorType.Q8_0, 8, (r, b, x) -> {
            float d = randomHalf(r, 0.1f);
            putHalf(b, 0, d);
            for (int j = 0; j < 32; j++) {
                int q = r.nextInt(256) - 128;
                b.put(2 + j, (byte) q);
                x[j] = (double) d * q;
            }
        }));
    }

    @Test
    void q2_K() {
        // scales[16] | qs[64] | d | dmin. Element e: 2 bits at shift 2*((e%128)/32) of qs[32*(e/128) + e%32];
        // scales[e/16]: low nibble scale, high nibble min.
        check(TensorType.Q2_K, build(TensorType.Q2_K, 10, (r, b, x) -> {
            float d = randomHalf(r, 0.05f);
            float dmin = randomHalf(r, 0.05f);
            putHalf(b, 80, d);
            putHalf(b, 82, dmin);
            int[] sc = new int[16];
            int[] mn = new int[16];
            for (int i = 0; i < 16; i++) {
                sc[i] = r.nextInt(16);
                mn[i] = r.nextInt(16);
                b.put(i, (byte) (sc[i] | mn[i] << 4));
            }
            for (int e = 0; e < 256; e++) {
                int q = r.nextInt(4);
                int at = 16 + 32 * (e / 128) + e % 32;
                b.put(at, (byte) (b.get(at) | q << (2 * ((e % 128) / 32))));
                x[e] = (double) d * sc[e / 16] * q - (double) dmin * mn[e / 16];
            }
        }));
    }

    @Test
    void q3_K() {
        // hmask[32] | qs[64] | scales[12] | d. Quant q in [-4, 3] = low2 - (hbit ? 0 : 4).
        check(TensorType.Q3_K, build(TensorType.Q3_K, 11, (r, b, x) -> {
            float d = randomHalf(r, 0.05f);
            putHalf(b, 108, d);
            int[] s = new int[16];
            for (int i = 0; i < 16; i++) {
                s[i] = r.nextInt(64);
            }
            // Packed as four little-endian words: words 0/1 hold the low nibbles of scales 0-7 (low
            // nibbles of bytes) and 8-15 (high nibbles), word 2 holds the high 2-bit pairs.
            int w0 = 0;
            int w1 = 0;
            int w2 = 0;
            for (int k = 0; k < 4; k++) {
                w0 |= ((s[k] & 15) | (s[k + 8] & 15) << 4) << (8 * k);
                w1 |= ((s[k + 4] & 15) | (s[k + 12] & 15) << 4) << (8 * k);
                int pairs = (s[k] >> 4) | (s[k + 4] >> 4) << 2 | (s[k + 8] >> 4) << 4 | (s[k + 12] >> 4) << 6;
                w2 |= pairs << (8 * k);
            }
            b.putInt(96, w0);
            b.putInt(100, w1);
            b.putInt(104, w2);
            for (int e = 0; e < 256; e++) {
                int q = r.nextInt(8) - 4;
                int low = q >= 0 ? q : q + 4;
                int high = q >= 0 ? 1 : 0;
                int h = e / 128;
                int g = (e % 128) / 32;
                int l = e % 32;
                b.put(32 + 32 * h + l, (byte) (b.get(32 + 32 * h + l) | low << (2 * g)));
                b.put(l, (byte) (b.get(l) | high << (4 * h + g)));
                x[e] = (double) d * (s[e / 16] - 32) * q;
            }
        }));
    }

    /** Packs eight 6-bit scales and mins into the 12 bytes Q4_K/Q5_K use, at {@code at}. */
    private static void packScalesAndMins(ByteBuffer b, int at, int[] sc, int[] mn) {
        for (int j = 0; j < 4; j++) {
            b.put(at + j, (byte) (sc[j] | (sc[j + 4] >> 4) << 6));
            b.put(at + j + 4, (byte) (mn[j] | (mn[j + 4] >> 4) << 6));
            b.put(at + j + 8, (byte) ((sc[j + 4] & 15) | (mn[j + 4] & 15) << 4));
        }
    }

    @Test
    void q4_K() {
        // d | dmin | scales[12] | qs[128]. Pair j covers elements 32j..32j+31: nibble (j % 2) of qs[32*(j/2) + l].
        check(TensorType.Q4_K, build(TensorType.Q4_K, 12, (r, b, x) -> {
            float d = randomHalf(r, 0.05f);
            float dmin = randomHalf(r, 0.05f);
            putHalf(b, 0, d);
            putHalf(b, 2, dmin);
            int[] sc = new int[8];
            int[] mn = new int[8];
            for (int j = 0; j < 8; j++) {
                sc[j] = r.nextInt(64);
                mn[j] = r.nextInt(64);
            }
            packScalesAndMins(b, 4, sc, mn);
            for (int e = 0; e < 256; e++) {
                int j = e / 32;
                int q = r.nextInt(16);
                int at = 16 + 32 * (j / 2) + e % 32;
                b.put(at, (byte) (b.get(at) | q << (4 * (j % 2))));
                x[e] = (double) d * sc[j] * q - (double) dmin * mn[j];
            }
        }));
    }

    @Test
    void q5_K() {
        // d | dmin | scales[12] | qh[32] | qs[128]; bit j of qh[l] is the 5th bit of element 32j + l.
        check(TensorType.Q5_K, build(TensorType.Q5_K, 13, (r, b, x) -> {
            float d = randomHalf(r, 0.05f);
            float dmin = randomHalf(r, 0.05f);
            putHalf(b, 0, d);
            putHalf(b, 2, dmin);
            int[] sc = new int[8];
            int[] mn = new int[8];
            for (int j = 0; j < 8; j++) {
                sc[j] = r.nextInt(64);
                mn[j] = r.nextInt(64);
            }
            packScalesAndMins(b, 4, sc, mn);
            for (int e = 0; e < 256; e++) {
                int j = e / 32;
                int l = e % 32;
                int q = r.nextInt(32);
                int at = 48 + 32 * (j / 2) + l;
                b.put(at, (byte) (b.get(at) | (q & 15) << (4 * (j % 2))));
                b.put(16 + l, (byte) (b.get(16 + l) | (q >> 4) << j));
                x[e] = (double) d * sc[j] * q - (double) dmin * mn[j];
            }
        }));
    }

    @Test
    void q6_K() {
        // ql[128] | qh[64] | int8 scales[16] | d; element 128h + 32g + l: nibble g/2 of ql[64h + 32(g%2) + l],
        // 2 bits at shift 2g of qh[32h + l]; value d * scale[e/16] * (q - 32).
        check(TensorType.Q6_K, build(TensorType.Q6_K, 14, (r, b, x) -> {
            float d = randomHalf(r, 0.01f);
            putHalf(b, 208, d);
            int[] sc = new int[16];
            for (int i = 0; i < 16; i++) {
                sc[i] = r.nextInt(256) - 128;
                b.put(192 + i, (byte) sc[i]);
            }
            for (int e = 0; e < 256; e++) {
                int u = r.nextInt(64);
                int h = e / 128;
                int g = (e % 128) / 32;
                int l = e % 32;
                int ql = 64 * h + 32 * (g % 2) + l;
                b.put(ql, (byte) (b.get(ql) | (u & 15) << (4 * (g / 2))));
                int qh = 128 + 32 * h + l;
                b.put(qh, (byte) (b.get(qh) | (u >> 4) << (2 * g)));
                x[e] = (double) d * sc[e / 16] * (u - 32);
            }
        }));
    }

    @Test
    void q8_K() {
        // float d | int8 qs[256] | int16 bsums[16] (sums of each 16 quants)
        check(TensorType.Q8_K, build(TensorType.Q8_K, 15, (r, b, x) -> {
            float d = (float) r.nextGaussian() * 0.01f;
            b.putFloat(0, d);
            int[] sums = new int[16];
            for (int e = 0; e < 256; e++) {
                int q = r.nextInt(256) - 128;
                b.put(4 + e, (byte) q);
                sums[e / 16] += q;
                x[e] = (double) d * q;
            }
            for (int i = 0; i < 16; i++) {
                b.putShort(260 + 2 * i, (short) sums[i]);
            }
        }));
    }

    @Test
    void rejectsBadRanges() {
        MemorySegment two = MemorySegment.ofArray(new byte[2 * 34]);
        float[] out = new float[64];
        assertThrows(IllegalArgumentException.class, () -> Dequantizer.dequantize(TensorType.Q8_0, two, 16, out, 0, 32));
        assertThrows(IllegalArgumentException.class, () -> Dequantizer.dequantize(TensorType.Q8_0, two, 0, out, 0, 33));
        assertThrows(IndexOutOfBoundsException.class, () -> Dequantizer.dequantize(TensorType.Q8_0, two, 32, out, 0, 64));
        assertThrows(IndexOutOfBoundsException.class, () -> Dequantizer.dequantize(TensorType.Q8_0, two, 0, out, 32, 64));
    }
}
