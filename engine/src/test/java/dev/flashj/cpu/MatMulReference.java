package dev.flashj.cpu;

import dev.flashj.tensor.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Test-side ground truth for the matrix kernels: random but valid GGML blocks, and a plain
 * element-by-element float64 decoder written independently of the kernels.
 */
final class MatMulReference {
    private MatMulReference() {
    }

    /** Random bytes for {@code rows x cols} weights of {@code type}: random quants, sane random scales. */
    static byte[] randomWeights(TensorType type, int rows, int cols, Random random) {
        long n = (long) rows * cols;
        byte[] bytes = new byte[(int) type.bytesFor(n)];
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    buf.putFloat(4 * i, random.nextFloat() * 2 - 1);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    // Mostly normal values, some subnormal halves to exercise the widening.
                    float v = random.nextInt(10) == 0 ? (random.nextFloat() - 0.5f) * 1e-4f : random.nextFloat() * 2 - 1;
                    buf.putShort(2 * i, Float.floatToFloat16(v));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    buf.putShort(2 * i, (short) (Float.floatToRawIntBits(random.nextFloat() * 2 - 1) >>> 16));
                }
            }
            case INT4_G128, INT4_G32 -> int4Weights(type, rows, cols, bytes, random);
            default -> {
                random.nextBytes(bytes);
                int blocks = (int) (n / type.blockSize());
                for (int b = 0; b < blocks; b++) {
                    int p = b * type.bytesPerBlock();
                    switch (type) {
                        case Q8_0, Q4_0, Q5_0 -> buf.putShort(p, scale(random));
                        case Q4_1, Q5_1, Q4_K, Q5_K -> {
                            buf.putShort(p, scale(random));
                            buf.putShort(p + 2, scale(random));
                        }
                        case Q6_K -> buf.putShort(p + 208, Float.floatToFloat16((random.nextFloat() * 2 - 1) * 0.002f));
                        case Q8_K -> buf.putFloat(p, (random.nextFloat() * 2 - 1) * 0.05f);
                        default -> throw new IllegalArgumentException(type.toString());
                    }
                }
            }
        }
        return bytes;
    }

    /**
     * FlashJ INT4 (docs/quantization.md): random code bytes (rows * cols / 2), then per row and group of G
     * columns an f16 scale in (0.0005, 0.0105) and an f16 offset in (-0.05, 0.05).
     */
    private static void int4Weights(TensorType type, int rows, int cols, byte[] bytes, Random random) {
        random.nextBytes(bytes);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int params = rows * cols / 2;
        for (int pair = 0; pair < rows * (cols / int4Group(type)); pair++) {
            buf.putShort(params + 4 * pair, Float.floatToFloat16((random.nextFloat() + 0.05f) * 0.01f));
            buf.putShort(params + 4 * pair + 2, Float.floatToFloat16((random.nextFloat() - 0.5f) * 0.1f));
        }
    }

    private static int int4Group(TensorType type) {
        return type == TensorType.INT4_G128 ? 128 : 32;
    }

    private static short scale(Random random) {
        return Float.floatToFloat16((random.nextFloat() * 2 - 1) * 0.05f);
    }

    /**
     * Element {@code e} of a matrix with {@code cols} columns decoded in float64; FlashJ's INT4 needs the
     * width (its scale/offset region follows all codes), the GGML formats do not.
     */
    static double element(TensorType type, byte[] w, int cols, long e) {
        if (type != TensorType.INT4_G128 && type != TensorType.INT4_G32) {
            return element(type, w, e);
        }
        // codes: row r at r*cols/2, group g at + g*G/2, byte j = element j (low nibble) and j + G/2 (high);
        // params after all codes: per (row, group) an f16 scale and an f16 offset; value = code*scale + offset.
        int group = int4Group(type);
        long rows = w.length / ((long) cols / 2 + 4L * cols / group);
        long r = e / cols;
        int c = (int) (e % cols);
        int g = c / group;
        int within = c % group;
        int b = w[(int) (r * cols / 2 + (long) g * group / 2 + within % (group / 2))] & 0xFF;
        int code = within < group / 2 ? b & 0x0F : b >>> 4;
        ByteBuffer buf = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN);
        int p = (int) (rows * cols / 2 + 4 * (r * (cols / group) + g));
        return code * half(buf, p) + half(buf, p + 2);
    }

    /** Element {@code e} (0-based, within the whole row-major tensor) of a GGML-format tensor decoded in float64. */
    static double element(TensorType type, byte[] w, long e) {
        ByteBuffer buf = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN);
        if (!type.isQuantized()) {
            return switch (type) {
                case F32 -> buf.getFloat((int) (4 * e));
                case F16 -> Float.float16ToFloat(buf.getShort((int) (2 * e)));
                case BF16 -> Float.intBitsToFloat(buf.getShort((int) (2 * e)) << 16);
                default -> throw new IllegalArgumentException(type.toString());
            };
        }
        int block = (int) (e / type.blockSize());
        int i = (int) (e % type.blockSize());
        int p = block * type.bytesPerBlock();
        return switch (type) {
            case Q8_0 -> half(buf, p) * w[p + 2 + i];
            case Q4_0 -> half(buf, p) * (nibble(w[p + 2 + i % 16], i >= 16) - 8);
            case Q4_1 -> half(buf, p) * nibble(w[p + 4 + i % 16], i >= 16) + half(buf, p + 2);
            case Q5_0 -> half(buf, p) * ((nibble(w[p + 6 + i % 16], i >= 16) + 16 * bit(buf.getInt(p + 2), i)) - 16);
            case Q5_1 -> half(buf, p) * (nibble(w[p + 8 + i % 16], i >= 16) + 16 * bit(buf.getInt(p + 4), i)) + half(buf, p + 2);
            case Q4_K -> {
                int sub = i / 32;
                int q = nibble(w[p + 16 + 32 * (sub / 2) + i % 32], sub % 2 == 1);
                yield half(buf, p) * kScale(w, p + 4, sub) * q - half(buf, p + 2) * kMin(w, p + 4, sub);
            }
            case Q5_K -> {
                int sub = i / 32;
                int q = nibble(w[p + 48 + 32 * (sub / 2) + i % 32], sub % 2 == 1) + 16 * bit(w[p + 16 + i % 32], sub);
                yield half(buf, p) * kScale(w, p + 4, sub) * q - half(buf, p + 2) * kMin(w, p + 4, sub);
            }
            case Q6_K -> {
                int halfIndex = i / 128;
                int quadrant = (i % 128) / 32;
                int l = i % 32;
                int low = nibble(w[p + 64 * halfIndex + l + (quadrant % 2) * 32], quadrant >= 2);
                int high = ((w[p + 128 + 32 * halfIndex + l] & 0xFF) >> (2 * quadrant)) & 3;
                int scale = w[p + 192 + 8 * halfIndex + l / 16 + 2 * quadrant];
                yield half(buf, p + 208) * scale * ((low | high << 4) - 32);
            }
            case Q8_K -> (double) buf.getFloat(p) * w[p + 4 + i];
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** The 6-bit scale of sub-block j of a Q4_K/Q5_K super-block whose 12 packed bytes start at {@code s}. */
    private static int kScale(byte[] w, int s, int j) {
        if (j < 4) {
            return w[s + j] & 0x3F;
        }
        return (w[s + j + 4] & 0x0F) | ((w[s + j - 4] & 0xC0) >> 2);
    }

    private static int kMin(byte[] w, int s, int j) {
        if (j < 4) {
            return w[s + j + 4] & 0x3F;
        }
        return ((w[s + j + 4] & 0xF0) >> 4) | ((w[s + j] & 0xC0) >> 2);
    }

    private static double half(ByteBuffer buf, int p) {
        return Float.float16ToFloat(buf.getShort(p));
    }

    private static int nibble(byte b, boolean high) {
        return high ? (b & 0xF0) >> 4 : b & 0x0F;
    }

    private static int bit(int bits, int i) {
        return (bits >>> i) & 1;
    }

    /** out[b*rows + r] = sum_c W[r,c] * x[b*cols + c] in float64, plus the sums of |W x| for error bounds. */
    static double[][] matmul(TensorType type, byte[] w, int rows, int cols, float[] x, int batch) {
        double[] out = new double[batch * rows];
        double[] magnitude = new double[batch * rows];
        double[] row = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                row[c] = element(type, w, cols, (long) r * cols + c);
            }
            for (int b = 0; b < batch; b++) {
                double s = 0;
                double m = 0;
                for (int c = 0; c < cols; c++) {
                    double t = row[c] * x[b * cols + c];
                    s += t;
                    m += Math.abs(t);
                }
                out[b * rows + r] = s;
                magnitude[b * rows + r] = m;
            }
        }
        return new double[][]{out, magnitude};
    }
}
