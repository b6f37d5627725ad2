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
 * A Q4_0 matrix repacked for the 16-bit integer kernels of {@link InterleavedMatrix}.
 *
 * <p>Layout: rows in groups of {@link #ROWS} (the last group padded with zero rows); per group and
 * 32-column block, {@link #CHUNK} bytes: the 32 rows' f16 scales in row order, then for each
 * {@code j < 16} the 32 rows' quant byte {@code j} (low nibble: element j, high nibble: element
 * j + 16) with the high nibble xor 8, so that an arithmetic shift of the sign-extended byte yields
 * {@code q - 8} directly. Same bytes per weight as the file (18 per 32), read as 32-byte vectors.
 *
 * <p>Exactness: {@code |q - 8| <= 8} and {@code |code| <= 127}, so a block's 32 products sum to at most
 * 32 512 and fit a 16-bit lane. Results therefore do not depend on the summation order, and a token's
 * output is the same whatever else is in its batch or however the rows are split across threads.
 *
 * <p>The kernels spell every vector step out inline, with no helper taking or returning a vector:
 * C2 does not inline a helper it has already compiled on its own into a big method, and the
 * vectors then get boxed ({@link QuantVectors} has the story).
 */
final class InterleavedQ4_0 extends InterleavedMatrix {
    /** Bytes per group and block: 32 f16 scales and 32 × 16 quant bytes. */
    static final int CHUNK = 2 * ROWS + 16 * ROWS;

    private static final int SCALE_BYTES = 2 * ROWS;

    InterleavedQ4_0(Tensor source, MemorySegment packed) {
        super(source, packed);
    }

    @Override
    InterleavedMatrix withSource(Tensor source) {
        return new InterleavedQ4_0(source, packed);
    }

    /** Packs a Q4_0 row into its lane (see {@link InterleavedMatrix#of}); declines infinite or NaN scales. */
    static RowPacker packer(Tensor w) {
        return scaleAndBytes((int) (w.cols() / 32), 16, (byte) 0x80);
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
            ShortVector sum = ShortVector.zero(SHORTS);
            for (int j = 0; j < 16; j++) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, p + SCALE_BYTES + ROWS * j, LE)
                        .convertShape(VectorOperators.B2S, SHORTS, 0);
                // and-then-subtract, not shift-left-then-right: C2 fails to intrinsify the latter here.
                ShortVector low = q.and((short) 0x0F).sub((short) 8);
                ShortVector high = q.lanewise(VectorOperators.ASHR, 4);
                sum = sum.add(low.mul(IntVector.broadcast(INTS, codes[c + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[c + 16 + j]).reinterpretAsShorts()));
            }
            // A 16-bit lane pair read as one int: the low half is the even row, the high half the odd one.
            IntVector pairs = sum.reinterpretAsInts();
            FloatVector evenSums = (FloatVector) pairs.lanewise(VectorOperators.LSHL, 16)
                    .lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
            FloatVector oddSums = (FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
            // The 32 rows' f16 scales, widened to float: the magnitude bits moved into
            // float position are the value times 2^-112 (normals and subnormals alike), the sign is in place.
            IntVector halves = IntVector.fromMemorySegment(INTS, w, p, LE);
            IntVector evenHalves = halves.lanewise(VectorOperators.LSHL, 16);
            IntVector oddHalves = halves.and(0xFFFF0000);
            FloatVector evenScales = evenHalves.and(0x80000000)
                    .or(evenHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            FloatVector oddScales = oddHalves.and(0x80000000)
                    .or(oddHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            float d = scales[tokenBlock + b];
            even = evenSums.fma(evenScales.mul(d), even);
            odd = oddSums.fma(oddScales.mul(d), odd);
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
            ShortVector sum0 = ShortVector.zero(SHORTS);
            ShortVector sum1 = sum0;
            ShortVector sum2 = sum0;
            ShortVector sum3 = sum0;
            for (int j = 0; j < 16; j++) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, p + SCALE_BYTES + ROWS * j, LE)
                        .convertShape(VectorOperators.B2S, SHORTS, 0);
                ShortVector low = q.and((short) 0x0F).sub((short) 8);
                ShortVector high = q.lanewise(VectorOperators.ASHR, 4);
                sum0 = sum0.add(low.mul(IntVector.broadcast(INTS, codes[x0 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x0 + 16 + j]).reinterpretAsShorts()));
                sum1 = sum1.add(low.mul(IntVector.broadcast(INTS, codes[x1 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x1 + 16 + j]).reinterpretAsShorts()));
                sum2 = sum2.add(low.mul(IntVector.broadcast(INTS, codes[x2 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x2 + 16 + j]).reinterpretAsShorts()));
                sum3 = sum3.add(low.mul(IntVector.broadcast(INTS, codes[x3 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x3 + 16 + j]).reinterpretAsShorts()));
            }
            IntVector halves = IntVector.fromMemorySegment(INTS, w, p, LE);
            IntVector evenHalves = halves.lanewise(VectorOperators.LSHL, 16);
            IntVector oddHalves = halves.and(0xFFFF0000);
            FloatVector evenScale = evenHalves.and(0x80000000)
                    .or(evenHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            FloatVector oddScale = oddHalves.and(0x80000000)
                    .or(oddHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            int block = tokenBlock + b;
            IntVector pairs = sum0.reinterpretAsInts();
            even0 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(evenScale.mul(scales[block]), even0);
            odd0 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(oddScale.mul(scales[block]), odd0);
            pairs = sum1.reinterpretAsInts();
            even1 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(evenScale.mul(scales[block + blocks]), even1);
            odd1 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(oddScale.mul(scales[block + blocks]), odd1);
            pairs = sum2.reinterpretAsInts();
            even2 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(evenScale.mul(scales[block + 2 * blocks]), even2);
            odd2 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(oddScale.mul(scales[block + 2 * blocks]), odd2);
            pairs = sum3.reinterpretAsInts();
            even3 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(evenScale.mul(scales[block + 3 * blocks]), even3);
            odd3 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(oddScale.mul(scales[block + 3 * blocks]), odd3);
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
