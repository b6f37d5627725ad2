package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cpu.QuantVectors.LE;

/**
 * A Q8_0 matrix repacked for the 16-bit integer kernels of {@link InterleavedMatrix}.
 *
 * <p>Layout: rows in groups of 32 (the last padded with zero rows); per group and 32-column block,
 * {@link #CHUNK} bytes: the 32 rows' f16 scales in row order, then for each {@code j < 32} the 32
 * rows' quant {@code j}. Same bytes per weight as the file (34 per 32).
 *
 * <p>Exactness: two products of an 8-bit weight and an 8-bit code ({@code |q| <= 128}, {@code |c| <= 127})
 * sum to at most 32 512, so pairs are added in 16-bit lanes and then widened to 32 bits, where a whole
 * block (at most 520 192) sums without overflow. As for Q4_0, results do not depend on the order of
 * summation, batch mates or threads. Every vector step is spelled out inline (see {@link QuantVectors}).
 */
final class InterleavedQ8_0 extends InterleavedMatrix {
    /** Bytes per group and block: 32 f16 scales and 32 × 32 quants. */
    static final int CHUNK = 2 * ROWS + 32 * ROWS;

    private static final int SCALE_BYTES = 2 * ROWS;

    InterleavedQ8_0(Tensor source, MemorySegment packed) {
        super(source, packed);
    }

    @Override
    InterleavedMatrix withSource(Tensor source) {
        return new InterleavedQ8_0(source, packed);
    }

    /** Packs a Q8_0 row into its lane (see {@link InterleavedMatrix#of}); declines infinite or NaN scales. */
    static RowPacker packer(Tensor w) {
        return scaleAndBytes((int) (w.cols() / 32), 32, (byte) 0);
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
            IntVector evenSum = IntVector.zero(INTS);
            IntVector oddSum = evenSum;
            for (int j = 0; j < 32; j += 2) {
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, p + SCALE_BYTES + ROWS * j, LE)
                        .convertShape(VectorOperators.B2S, SHORTS, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, p + SCALE_BYTES + ROWS * (j + 1), LE)
                        .convertShape(VectorOperators.B2S, SHORTS, 0);
                // A 16-bit lane pair read as one int: the low half is the even row, the high half the odd one.
                IntVector pairs = q0.mul(IntVector.broadcast(INTS, codes[c + j]).reinterpretAsShorts()).add(q1.mul(IntVector.broadcast(INTS, codes[c + j + 1]).reinterpretAsShorts())).reinterpretAsInts();
                evenSum = evenSum.add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                oddSum = oddSum.add(pairs.lanewise(VectorOperators.ASHR, 16));
            }
            // The 32 rows' f16 scales widened to float: the magnitude bits moved into float position
            // are the value times 2^-112 (normals and subnormals alike), the sign is in place.
            IntVector halves = IntVector.fromMemorySegment(INTS, w, p, LE);
            IntVector evenHalves = halves.lanewise(VectorOperators.LSHL, 16);
            IntVector oddHalves = halves.and(0xFFFF0000);
            FloatVector evenScales = evenHalves.and(0x80000000)
                    .or(evenHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            FloatVector oddScales = oddHalves.and(0x80000000)
                    .or(oddHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            float d = scales[tokenBlock + b];
            even = ((FloatVector) evenSum.convert(VectorOperators.I2F, 0)).fma(evenScales.mul(d), even);
            odd = ((FloatVector) oddSum.convert(VectorOperators.I2F, 0)).fma(oddScales.mul(d), odd);
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
            IntVector evenSum0 = IntVector.zero(INTS);
            IntVector oddSum0 = evenSum0;
            IntVector evenSum1 = evenSum0;
            IntVector oddSum1 = evenSum0;
            IntVector evenSum2 = evenSum0;
            IntVector oddSum2 = evenSum0;
            IntVector evenSum3 = evenSum0;
            IntVector oddSum3 = evenSum0;
            for (int j = 0; j < 32; j += 2) {
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, p + SCALE_BYTES + ROWS * j, LE)
                        .convertShape(VectorOperators.B2S, SHORTS, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, p + SCALE_BYTES + ROWS * (j + 1), LE)
                        .convertShape(VectorOperators.B2S, SHORTS, 0);
                IntVector pairs = q0.mul(IntVector.broadcast(INTS, codes[x0 + j]).reinterpretAsShorts()).add(q1.mul(IntVector.broadcast(INTS, codes[x0 + j + 1]).reinterpretAsShorts())).reinterpretAsInts();
                evenSum0 = evenSum0.add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                oddSum0 = oddSum0.add(pairs.lanewise(VectorOperators.ASHR, 16));
                pairs = q0.mul(IntVector.broadcast(INTS, codes[x1 + j]).reinterpretAsShorts()).add(q1.mul(IntVector.broadcast(INTS, codes[x1 + j + 1]).reinterpretAsShorts())).reinterpretAsInts();
                evenSum1 = evenSum1.add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                oddSum1 = oddSum1.add(pairs.lanewise(VectorOperators.ASHR, 16));
                pairs = q0.mul(IntVector.broadcast(INTS, codes[x2 + j]).reinterpretAsShorts()).add(q1.mul(IntVector.broadcast(INTS, codes[x2 + j + 1]).reinterpretAsShorts())).reinterpretAsInts();
                evenSum2 = evenSum2.add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                oddSum2 = oddSum2.add(pairs.lanewise(VectorOperators.ASHR, 16));
                pairs = q0.mul(IntVector.broadcast(INTS, codes[x3 + j]).reinterpretAsShorts()).add(q1.mul(IntVector.broadcast(INTS, codes[x3 + j + 1]).reinterpretAsShorts())).reinterpretAsInts();
                evenSum3 = evenSum3.add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                oddSum3 = oddSum3.add(pairs.lanewise(VectorOperators.ASHR, 16));
            }
            IntVector halves = IntVector.fromMemorySegment(INTS, w, p, LE);
            IntVector evenHalves = halves.lanewise(VectorOperators.LSHL, 16);
            IntVector oddHalves = halves.and(0xFFFF0000);
            FloatVector evenScale = evenHalves.and(0x80000000)
                    .or(evenHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            FloatVector oddScale = oddHalves.and(0x80000000)
                    .or(oddHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            int block = tokenBlock + b;
            even0 = ((FloatVector) evenSum0.convert(VectorOperators.I2F, 0)).fma(evenScale.mul(scales[block]), even0);
            odd0 = ((FloatVector) oddSum0.convert(VectorOperators.I2F, 0)).fma(oddScale.mul(scales[block]), odd0);
            even1 = ((FloatVector) evenSum1.convert(VectorOperators.I2F, 0)).fma(evenScale.mul(scales[block + blocks]), even1);
            odd1 = ((FloatVector) oddSum1.convert(VectorOperators.I2F, 0)).fma(oddScale.mul(scales[block + blocks]), odd1);
            even2 = ((FloatVector) evenSum2.convert(VectorOperators.I2F, 0)).fma(evenScale.mul(scales[block + 2 * blocks]), even2);
            odd2 = ((FloatVector) oddSum2.convert(VectorOperators.I2F, 0)).fma(oddScale.mul(scales[block + 2 * blocks]), odd2);
            even3 = ((FloatVector) evenSum3.convert(VectorOperators.I2F, 0)).fma(evenScale.mul(scales[block + 3 * blocks]), even3);
            odd3 = ((FloatVector) oddSum3.convert(VectorOperators.I2F, 0)).fma(oddScale.mul(scales[block + 3 * blocks]), odd3);
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
