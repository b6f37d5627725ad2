package dev.flashj.cli.bench;

import dev.flashj.tensor.TensorType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Random benchmark inputs. Never zeros: some kernels and memory systems are faster on zeros, and a
 * kernel that writes nothing would pass a check against zeros.
 */
final class RandomData {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;

    private RandomData() {
    }

    /** {@code n} floats uniform in [-1, 1). */
    static float[] floats(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextDouble(-1, 1);
        }
        return a;
    }

    /** {@code n} floats uniform in [lo, hi). */
    static float[] floats(SplittableRandom random, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextDouble(lo, hi);
        }
        return a;
    }

    /**
     * A [rows, cols] weight matrix of {@code type} in {@code arena}: random values for plain types,
     * random quants with small positive scales for block types (so every element is finite and the
     * row sums stay of order one).
     */
    static MemorySegment weights(Arena arena, SplittableRandom random, TensorType type, int rows, int cols) {
        long elements = (long) rows * cols;
        long bytes = type.bytesFor(elements);
        MemorySegment s = arena.allocate(bytes, 64);
        double weightScale = 1.0 / Math.sqrt(cols);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < elements; i++) {
                    s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (random.nextDouble(-1, 1) * weightScale));
                }
            }
            case F16 -> {
                for (long i = 0; i < elements; i++) {
                    s.setAtIndex(HALF, i, Float.floatToFloat16((float) (random.nextDouble(-1, 1) * weightScale)));
                }
            }
            case BF16 -> {
                for (long i = 0; i < elements; i++) {
                    int bits = Float.floatToRawIntBits((float) (random.nextDouble(-1, 1) * weightScale));
                    s.setAtIndex(HALF, i, (short) (bits >>> 16));
                }
            }
            default -> randomBlocks(s, random, type, weightScale);
        }
        return s;
    }

    /** Random bytes, then each block's scale fields set to small positive halves. */
    private static void randomBlocks(MemorySegment s, SplittableRandom random, TensorType type, double weightScale) {
        for (long i = 0; i < s.byteSize(); i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(256));
        }
        long blocks = s.byteSize() / type.bytesPerBlock();
        for (long b = 0; b < blocks; b++) {
            long at = b * type.bytesPerBlock();
            switch (type) {
                // d then 32 int8 quants: |q| <= 128.
                case Q8_0 -> s.set(HALF, at, scale(random, weightScale / 128));
                // d then 16 bytes of nibbles: |q - 8| <= 8.
                case Q4_0 -> s.set(HALF, at, scale(random, weightScale / 8));
                case Q4_1, Q5_0, Q5_1 -> s.set(HALF, at, scale(random, weightScale / 16));
                // d and dmin (halves) lead the super-block; 6-bit sub-scales up to 63 multiply them.
                case Q4_K, Q5_K -> {
                    s.set(HALF, at, scale(random, weightScale / (15 * 63)));
                    s.set(HALF, at + 2, scale(random, weightScale / (2 * 63)));
                }
                // int8 sub-scales, the half d last (offset 208).
                case Q6_K -> s.set(HALF, at + 208, scale(random, weightScale / (32 * 128)));
                default -> throw new IllegalArgumentException("no random weights for " + type);
            }
        }
    }

    private static short scale(SplittableRandom random, double magnitude) {
        return Float.floatToFloat16((float) (magnitude * random.nextDouble(0.5, 1.5)));
    }
}
