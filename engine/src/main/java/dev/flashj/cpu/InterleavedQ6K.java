package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

import static dev.flashj.cpu.QuantVectors.LE;

/**
 * A Q6_K matrix repacked for the 16-bit integer kernels of {@link InterleavedMatrix} (the output head
 * and part of the FFN in "Q4_K_M" files). The in-place kernel spends its time merging 4-bit and 2-bit
 * parts; here every weight is stored as its signed 6-bit code {@code q - 32} in a byte, and each
 * 16-element sub-block's {@code d * scale} as an f32 (exact: 11 by 8 bits).
 *
 * <p>Layout per group of 32 rows and 32-column block, {@link #CHUNK} bytes: the 32 rows' factors for
 * elements 0-15, then for elements 16-31 (each even rows first, then odd rows, matching the kernel's
 * lane pairs), then for each {@code j < 32} the 32 rows' code {@code j}. 40 bytes per 32 weights against
 * the file's 26.25: decode reads half again as many bytes, and is no longer bound by arithmetic.
 *
 * <p>Exactness: {@code |q - 32| <= 32} and {@code |c| <= 127}, so eight products sum to at most 32 512 in
 * a 16-bit lane; they are then widened to 32 bits, where a sub-block sums without overflow. Every
 * vector step is spelled out inline (see {@link QuantVectors}).
 */
final class InterleavedQ6K extends InterleavedMatrix {
    static final int CHUNK = 2 * 4 * ROWS + 32 * ROWS;

    private static final int SUPER_BLOCK_BYTES = 210;
    private static final int SECOND_SCALES = 4 * ROWS;
    private static final int QUANTS = 8 * ROWS;

    InterleavedQ6K(Tensor source, MemorySegment packed) {
        super(source, packed);
    }

    @Override
    InterleavedMatrix withSource(Tensor source) {
        return new InterleavedQ6K(source, packed);
    }

    /** Packs a Q6_K row into its lane (see {@link InterleavedMatrix#of}); declines infinite or NaN scales. */
    static RowPacker packer(Tensor w) {
        int superBlocks = (int) (w.cols() / 256);
        return (in, rowStart, lane, out) -> {
            int slot = factorSlot(lane);
            for (int sb = 0; sb < superBlocks; sb++) {
                int p = rowStart + sb * SUPER_BLOCK_BYTES;
                short dBits = in.getShort(p + 208);
                if ((dBits & 0x7C00) == 0x7C00) {
                    return false;
                }
                float d = Float.float16ToFloat(dBits);
                for (int s = 0; s < 16; s++) {
                    int to = (8 * sb + s / 2) * CHUNK + (s % 2) * SECOND_SCALES;
                    out.putFloat(to + 4 * slot, d * in.get(p + 192 + s));
                }
                for (int e = 0; e < 256; e++) {
                    out.put((8 * sb + e / 32) * CHUNK + QUANTS + ROWS * (e % 32) + lane, (byte) (code(in, p, e) - 32));
                }
            }
            return true;
        };
    }

    /**
     * Element {@code e}'s 6-bit code (0..63) in the super-block at {@code p}: per 128-element half,
     * four quadrants of 32 take the low or high nibbles of {@code ql} and a 2-bit field of {@code qh}.
     */
    private static int code(ByteBuffer b, int p, int e) {
        int half = e / 128;
        int quadrant = (e % 128) / 32;
        int l = e % 32;
        int low = b.get(p + 64 * half + l + 32 * (quadrant % 2)) & 0xFF;
        int nibble = quadrant < 2 ? low & 0x0F : low >> 4;
        int high = ((b.get(p + 128 + 32 * half + l) & 0xFF) >> (2 * quadrant)) & 3;
        return nibble | (high << 4);
    }

    @Override
    void multiplyGroup(int group, Q8Activations x, int tokenBlock, float[] out, int outOffset, float[] lanes) {
        MemorySegment w = packed;
        int[] codes = x.pairedCodes();
        float[] scales = x.scales();
        long base = (long) group * blocks * CHUNK;
        FloatVector even = FloatVector.zero(FLOATS);
        FloatVector odd = even;
        for (int b = 0; b < blocks; b++) {
            long p = base + (long) b * CHUNK;
            int c = 32 * (tokenBlock + b);
            float dx = scales[tokenBlock + b];
            // Two 16-element sub-blocks, each its own factor; within one, two runs of eight 16-bit products.
            for (int half = 0; half < 2; half++) {
                IntVector evenSum = IntVector.zero(INTS);
                IntVector oddSum = evenSum;
                for (int j0 = 16 * half; j0 < 16 * half + 16; j0 += 8) {
                    ShortVector run = ShortVector.zero(SHORTS);
                    for (int j = j0; j < j0 + 8; j++) {
                        ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, p + QUANTS + ROWS * j, LE)
                                .convertShape(VectorOperators.B2S, SHORTS, 0);
                        run = run.add(q.mul(IntVector.broadcast(INTS, codes[c + j]).reinterpretAsShorts()));
                    }
                    // A 16-bit lane pair read as one int: the low half is the even row, the high half the odd one.
                    IntVector pairs = run.reinterpretAsInts();
                    evenSum = evenSum.add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                    oddSum = oddSum.add(pairs.lanewise(VectorOperators.ASHR, 16));
                }
                long factors = p + half * SECOND_SCALES;
                even = ((FloatVector) evenSum.convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromMemorySegment(FLOATS, w, factors, LE).mul(dx), even);
                odd = ((FloatVector) oddSum.convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromMemorySegment(FLOATS, w, factors + 64, LE).mul(dx), odd);
            }
        }
        even.intoArray(lanes, 0);
        odd.intoArray(lanes, 16);
        storeGroup(lanes, out, outOffset, group, rows);
    }

    /** Four tokens at once: each weight vector widened once and used four times (see {@link InterleavedMatrix#multiplyGroup4}). */
    @Override
    void multiplyGroup4(int group, Q8Activations x, int tokenBlock, float[] out, int outOffset, int outStride,
                        float[] lanes) {
        MemorySegment w = packed;
        int[] codes = x.pairedCodes();
        float[] scales = x.scales();
        long base = (long) group * blocks * CHUNK;
        FloatVector even0 = FloatVector.zero(FLOATS);
        FloatVector odd0 = even0;
        FloatVector even1 = even0;
        FloatVector odd1 = even0;
        FloatVector even2 = even0;
        FloatVector odd2 = even0;
        FloatVector even3 = even0;
        FloatVector odd3 = even0;
        for (int b = 0; b < blocks; b++) {
            long p = base + (long) b * CHUNK;
            int x0 = 32 * (tokenBlock + b);
            int x1 = x0 + 32 * blocks;
            int x2 = x1 + 32 * blocks;
            int x3 = x2 + 32 * blocks;
            int block = tokenBlock + b;
            for (int half = 0; half < 2; half++) {
                IntVector evenSum0 = IntVector.zero(INTS);
                IntVector oddSum0 = evenSum0;
                IntVector evenSum1 = evenSum0;
                IntVector oddSum1 = evenSum0;
                IntVector evenSum2 = evenSum0;
                IntVector oddSum2 = evenSum0;
                IntVector evenSum3 = evenSum0;
                IntVector oddSum3 = evenSum0;
                for (int j0 = 16 * half; j0 < 16 * half + 16; j0 += 8) {
                    ShortVector run0 = ShortVector.zero(SHORTS);
                    ShortVector run1 = run0;
                    ShortVector run2 = run0;
                    ShortVector run3 = run0;
                    for (int j = j0; j < j0 + 8; j++) {
                        ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, p + QUANTS + ROWS * j, LE)
                                .convertShape(VectorOperators.B2S, SHORTS, 0);
                        run0 = run0.add(q.mul(IntVector.broadcast(INTS, codes[x0 + j]).reinterpretAsShorts()));
                        run1 = run1.add(q.mul(IntVector.broadcast(INTS, codes[x1 + j]).reinterpretAsShorts()));
                        run2 = run2.add(q.mul(IntVector.broadcast(INTS, codes[x2 + j]).reinterpretAsShorts()));
                        run3 = run3.add(q.mul(IntVector.broadcast(INTS, codes[x3 + j]).reinterpretAsShorts()));
                    }
                    IntVector pairs = run0.reinterpretAsInts();
                    evenSum0 = evenSum0.add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                    oddSum0 = oddSum0.add(pairs.lanewise(VectorOperators.ASHR, 16));
                    pairs = run1.reinterpretAsInts();
                    evenSum1 = evenSum1.add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                    oddSum1 = oddSum1.add(pairs.lanewise(VectorOperators.ASHR, 16));
                    pairs = run2.reinterpretAsInts();
                    evenSum2 = evenSum2.add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                    oddSum2 = oddSum2.add(pairs.lanewise(VectorOperators.ASHR, 16));
                    pairs = run3.reinterpretAsInts();
                    evenSum3 = evenSum3.add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                    oddSum3 = oddSum3.add(pairs.lanewise(VectorOperators.ASHR, 16));
                }
                long factors = p + half * SECOND_SCALES;
                FloatVector evenFactor = FloatVector.fromMemorySegment(FLOATS, w, factors, LE);
                FloatVector oddFactor = FloatVector.fromMemorySegment(FLOATS, w, factors + 64, LE);
                even0 = ((FloatVector) evenSum0.convert(VectorOperators.I2F, 0)).fma(evenFactor.mul(scales[block]), even0);
                odd0 = ((FloatVector) oddSum0.convert(VectorOperators.I2F, 0)).fma(oddFactor.mul(scales[block]), odd0);
                even1 = ((FloatVector) evenSum1.convert(VectorOperators.I2F, 0)).fma(evenFactor.mul(scales[block + blocks]), even1);
                odd1 = ((FloatVector) oddSum1.convert(VectorOperators.I2F, 0)).fma(oddFactor.mul(scales[block + blocks]), odd1);
                even2 = ((FloatVector) evenSum2.convert(VectorOperators.I2F, 0)).fma(evenFactor.mul(scales[block + 2 * blocks]), even2);
                odd2 = ((FloatVector) oddSum2.convert(VectorOperators.I2F, 0)).fma(oddFactor.mul(scales[block + 2 * blocks]), odd2);
                even3 = ((FloatVector) evenSum3.convert(VectorOperators.I2F, 0)).fma(evenFactor.mul(scales[block + 3 * blocks]), even3);
                odd3 = ((FloatVector) oddSum3.convert(VectorOperators.I2F, 0)).fma(oddFactor.mul(scales[block + 3 * blocks]), odd3);
            }
        }
        even0.intoArray(lanes, 0);
        odd0.intoArray(lanes, 16);
        storeGroup(lanes, out, outOffset, group, rows);
        even1.intoArray(lanes, 0);
        odd1.intoArray(lanes, 16);
        storeGroup(lanes, out, outOffset + outStride, group, rows);
        even2.intoArray(lanes, 0);
        odd2.intoArray(lanes, 16);
        storeGroup(lanes, out, outOffset + 2 * outStride, group, rows);
        even3.intoArray(lanes, 0);
        odd3.intoArray(lanes, 16);
        storeGroup(lanes, out, outOffset + 3 * outStride, group, rows);
    }
}
