package dev.flashj.cpu;

import dev.flashj.tensor.Int4Layout;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.flashj.cpu.QuantVectors.LE;

/**
 * A FlashJ INT4 matrix ({@link TensorType#INT4_G128}, {@link TensorType#INT4_G32}; {@link Int4Layout})
 * repacked for the 16-bit integer kernels of {@link InterleavedMatrix}.
 *
 * <p>An element is {@code q * scale + offset} with {@code q} in 0..15 and one f16 scale and offset per
 * row and group of G columns. Written as {@code (q - 8) * scale + (offset + 8 * scale)}, a group's dot
 * product with 8-bit activation codes {@code c} (block scales {@code dx_b}) is
 * {@code scale * T + (offset + 8 * scale) * U} with {@code T = sum_b dx_b * sum (q - 8) * c} and
 * {@code U = sum_b dx_b * sum c}: per 32-column block the Q4_0 kernel's exact 16-bit sum and the
 * activation block's code sum ({@link Q8Activations#codeSums()}), and the row's factors once per group.
 *
 * <p>Layout: rows in groups of {@link #ROWS} (the last padded with zero rows); per row group and
 * weight group of G columns, the 32 rows' f16 scales in row order, the 32 rows' f16 offsets in row
 * order, then for each 32-column block of the weight group and each {@code j < 16} the 32 rows' byte
 * {@code j}: element j of the block in the low nibble, element j + 16 xor 8 in the high one (the file
 * pairs element j with j + G/2, so G = 128 is re-paired). Same bytes per weight as the file; the
 * G = 128 factors are not repeated per block. Every vector step is spelled out inline (see
 * {@link QuantVectors}).
 */
final class InterleavedInt4 extends InterleavedMatrix {
    private static final int FACTOR_BYTES = 2 * ROWS;
    private static final int QUANT_BYTES = 16 * ROWS;

    /** Gathers whole rows from the two regions of the layout: a row's codes, then its scale/offset pairs. */
    static final RowReader ROW_READER = (w, first, count, in, rowBytes) -> {
        long cols = w.cols();
        int codeBytes = (int) (cols / 2);
        int paramBytes = rowBytes - codeBytes;
        long params = Int4Layout.paramsStart(w.rows(), cols);
        for (int i = 0; i < count; i++) {
            long row = first + i;
            MemorySegment.copy(w.data(), ValueLayout.JAVA_BYTE, row * codeBytes, in, i * rowBytes, codeBytes);
            MemorySegment.copy(w.data(), ValueLayout.JAVA_BYTE, params + row * paramBytes, in, i * rowBytes + codeBytes,
                    paramBytes);
        }
    };

    /** Elements per weight group (G). */
    private final int groupSize;
    /** Bytes of one row group's weight group: factors and quants. */
    private final int groupBytes;

    InterleavedInt4(Tensor source, MemorySegment packed) {
        super(source, packed);
        this.groupSize = Int4Layout.groupSize(source.type());
        this.groupBytes = groupSize / 32 * chunk(source.type());
    }

    @Override
    InterleavedMatrix withSource(Tensor source) {
        return new InterleavedInt4(source, packed);
    }

    /** Packed bytes per row group and 32-column block: the quants plus the block's share of the group's factors. */
    static int chunk(TensorType type) {
        return QUANT_BYTES + 2 * FACTOR_BYTES * 32 / Int4Layout.groupSize(type);
    }

    /**
     * Packs an INT4 row (as {@link #ROW_READER} gathers it: codes, then scale/offset pairs) into its
     * lane; declines infinite or NaN scales and offsets.
     */
    static RowPacker packer(Tensor w) {
        int cols = (int) w.cols();
        int group = Int4Layout.groupSize(w.type());
        int half = group / 2;
        int groupBytes = group / 32 * chunk(w.type());
        return (in, rowStart, lane, out) -> {
            for (int g = 0; g < cols / group; g++) {
                int param = rowStart + cols / 2 + 4 * g;
                short scale = in.getShort(param);
                short offset = in.getShort(param + 2);
                if ((scale & 0x7C00) == 0x7C00 || (offset & 0x7C00) == 0x7C00) {
                    return false;
                }
                int to = g * groupBytes;
                out.putShort(to + 2 * lane, scale);
                out.putShort(to + FACTOR_BYTES + 2 * lane, offset);
                int codes = rowStart + g * half;
                for (int k = 0; k < group / 32; k++) {
                    for (int j = 0; j < 16; j++) {
                        int low = nibble(in.get(codes + (32 * k + j) % half), 32 * k + j >= half);
                        int high = nibble(in.get(codes + (32 * k + j + 16) % half), 32 * k + j + 16 >= half);
                        out.put(to + 2 * FACTOR_BYTES + QUANT_BYTES * k + ROWS * j + lane, (byte) (low | ((high ^ 8) << 4)));
                    }
                }
            }
            return true;
        };
    }

    private static int nibble(byte b, boolean high) {
        return high ? (b >> 4) & 0x0F : b & 0x0F;
    }

    @Override
    void multiplyGroup(int group, Q8Activations x, int tokenBlock, float[] out, int outOffset, float[] lanes) {
        MemorySegment w = packed;
        int[] codes = x.pairedCodes();
        float[] scales = x.scales();
        float[] codeSums = x.codeSums();
        int blocksPerGroup = groupSize / 32;
        int weightGroups = blocks / blocksPerGroup;
        long base = (long) group * blocks * (groupBytes / blocksPerGroup);
        FloatVector even = FloatVector.zero(FLOATS);
        FloatVector odd = even;
        for (int g = 0; g < weightGroups; g++) {
            long p = base + (long) g * groupBytes;
            FloatVector evenT = FloatVector.zero(FLOATS);
            FloatVector oddT = evenT;
            float u = 0;
            for (int k = 0; k < blocksPerGroup; k++) {
                long quants = p + 2 * FACTOR_BYTES + (long) QUANT_BYTES * k;
                int block = tokenBlock + g * blocksPerGroup + k;
                int c = 32 * block;
                ShortVector sum = ShortVector.zero(SHORTS);
                for (int j = 0; j < 16; j++) {
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, quants + ROWS * j, LE)
                            .convertShape(VectorOperators.B2S, SHORTS, 0);
                    ShortVector low = q.and((short) 0x0F).sub((short) 8);
                    ShortVector high = q.lanewise(VectorOperators.ASHR, 4);
                    sum = sum.add(low.mul(IntVector.broadcast(INTS, codes[c + j]).reinterpretAsShorts()))
                            .add(high.mul(IntVector.broadcast(INTS, codes[c + 16 + j]).reinterpretAsShorts()));
                }
                // A 16-bit lane pair read as one int: the low half is the even row, the high half the odd one.
                IntVector pairs = sum.reinterpretAsInts();
                FloatVector evenSums = (FloatVector) pairs.lanewise(VectorOperators.LSHL, 16)
                        .lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
                FloatVector oddSums = (FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
                float dx = scales[block];
                FloatVector dxs = FloatVector.broadcast(FLOATS, dx);
                evenT = evenSums.fma(dxs, evenT);
                oddT = oddSums.fma(dxs, oddT);
                u += dx * codeSums[block];
            }
            // The 32 rows' f16 scales and offsets widened to float: the magnitude bits moved into float
            // position are the value times 2^-112 (normals and subnormals alike), the sign is in place.
            IntVector halves = IntVector.fromMemorySegment(INTS, w, p, LE);
            IntVector evenHalves = halves.lanewise(VectorOperators.LSHL, 16);
            IntVector oddHalves = halves.and(0xFFFF0000);
            FloatVector evenScales = evenHalves.and(0x80000000)
                    .or(evenHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            FloatVector oddScales = oddHalves.and(0x80000000)
                    .or(oddHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            halves = IntVector.fromMemorySegment(INTS, w, p + FACTOR_BYTES, LE);
            evenHalves = halves.lanewise(VectorOperators.LSHL, 16);
            oddHalves = halves.and(0xFFFF0000);
            FloatVector evenOffsets = evenHalves.and(0x80000000)
                    .or(evenHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            FloatVector oddOffsets = oddHalves.and(0x80000000)
                    .or(oddHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            // offset + 8 * scale: the weight's value at code 8, where (q - 8) is zero (8 * scale is exact).
            FloatVector us = FloatVector.broadcast(FLOATS, u);
            even = evenScales.fma(evenT, even);
            odd = oddScales.fma(oddT, odd);
            even = evenScales.mul(8f).add(evenOffsets).fma(us, even);
            odd = oddScales.mul(8f).add(oddOffsets).fma(us, odd);
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
        float[] codeSums = x.codeSums();
        int blocksPerGroup = groupSize / 32;
        int weightGroups = blocks / blocksPerGroup;
        long base = (long) group * blocks * (groupBytes / blocksPerGroup);
        FloatVector even0 = FloatVector.zero(FLOATS);
        FloatVector odd0 = even0;
        FloatVector even1 = even0;
        FloatVector odd1 = even0;
        FloatVector even2 = even0;
        FloatVector odd2 = even0;
        FloatVector even3 = even0;
        FloatVector odd3 = even0;
        for (int g = 0; g < weightGroups; g++) {
            long p = base + (long) g * groupBytes;
            FloatVector evenT0 = FloatVector.zero(FLOATS);
            FloatVector oddT0 = evenT0;
            FloatVector evenT1 = evenT0;
            FloatVector oddT1 = evenT0;
            FloatVector evenT2 = evenT0;
            FloatVector oddT2 = evenT0;
            FloatVector evenT3 = evenT0;
            FloatVector oddT3 = evenT0;
            float u0 = 0;
            float u1 = 0;
            float u2 = 0;
            float u3 = 0;
            for (int k = 0; k < blocksPerGroup; k++) {
                long quants = p + 2 * FACTOR_BYTES + (long) QUANT_BYTES * k;
                int block = tokenBlock + g * blocksPerGroup + k;
                int x0 = 32 * block;
                int x1 = x0 + 32 * blocks;
                int x2 = x1 + 32 * blocks;
                int x3 = x2 + 32 * blocks;
                ShortVector sum0 = ShortVector.zero(SHORTS);
                ShortVector sum1 = sum0;
                ShortVector sum2 = sum0;
                ShortVector sum3 = sum0;
                for (int j = 0; j < 16; j++) {
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, quants + ROWS * j, LE)
                            .convertShape(VectorOperators.B2S, SHORTS, 0);
                    ShortVector low = q.and((short) 0x0F).sub((short) 8);
                    ShortVector high = q.lanewise(VectorOperators.ASHR, 4);
                    sum0 = sum0.add(low.mul(IntVector.broadcast(INTS, codes[x0 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x0 + 16 + j]).reinterpretAsShorts()));
                    sum1 = sum1.add(low.mul(IntVector.broadcast(INTS, codes[x1 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x1 + 16 + j]).reinterpretAsShorts()));
                    sum2 = sum2.add(low.mul(IntVector.broadcast(INTS, codes[x2 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x2 + 16 + j]).reinterpretAsShorts()));
                    sum3 = sum3.add(low.mul(IntVector.broadcast(INTS, codes[x3 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x3 + 16 + j]).reinterpretAsShorts()));
                }
                // Each token's step is the one-token kernel's, in the same order: equal results bit for bit.
                IntVector pairs = sum0.reinterpretAsInts();
                FloatVector dxs = FloatVector.broadcast(FLOATS, scales[block]);
                evenT0 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).fma(dxs, evenT0);
                oddT0 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(dxs, oddT0);
                u0 += scales[block] * codeSums[block];
                pairs = sum1.reinterpretAsInts();
                dxs = FloatVector.broadcast(FLOATS, scales[block + blocks]);
                evenT1 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).fma(dxs, evenT1);
                oddT1 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(dxs, oddT1);
                u1 += scales[block + blocks] * codeSums[block + blocks];
                pairs = sum2.reinterpretAsInts();
                dxs = FloatVector.broadcast(FLOATS, scales[block + 2 * blocks]);
                evenT2 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).fma(dxs, evenT2);
                oddT2 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(dxs, oddT2);
                u2 += scales[block + 2 * blocks] * codeSums[block + 2 * blocks];
                pairs = sum3.reinterpretAsInts();
                dxs = FloatVector.broadcast(FLOATS, scales[block + 3 * blocks]);
                evenT3 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).fma(dxs, evenT3);
                oddT3 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(dxs, oddT3);
                u3 += scales[block + 3 * blocks] * codeSums[block + 3 * blocks];
            }
            IntVector halves = IntVector.fromMemorySegment(INTS, w, p, LE);
            IntVector evenHalves = halves.lanewise(VectorOperators.LSHL, 16);
            IntVector oddHalves = halves.and(0xFFFF0000);
            FloatVector evenScales = evenHalves.and(0x80000000)
                    .or(evenHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            FloatVector oddScales = oddHalves.and(0x80000000)
                    .or(oddHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f);
            halves = IntVector.fromMemorySegment(INTS, w, p + FACTOR_BYTES, LE);
            evenHalves = halves.lanewise(VectorOperators.LSHL, 16);
            oddHalves = halves.and(0xFFFF0000);
            FloatVector evenAtEight = evenHalves.and(0x80000000)
                    .or(evenHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f)
                    .add(evenScales.mul(8f));
            FloatVector oddAtEight = oddHalves.and(0x80000000)
                    .or(oddHalves.and(0x7FFF0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats().mul(0x1p112f)
                    .add(oddScales.mul(8f));
            even0 = evenAtEight.fma(FloatVector.broadcast(FLOATS, u0), evenScales.fma(evenT0, even0));
            odd0 = oddAtEight.fma(FloatVector.broadcast(FLOATS, u0), oddScales.fma(oddT0, odd0));
            even1 = evenAtEight.fma(FloatVector.broadcast(FLOATS, u1), evenScales.fma(evenT1, even1));
            odd1 = oddAtEight.fma(FloatVector.broadcast(FLOATS, u1), oddScales.fma(oddT1, odd1));
            even2 = evenAtEight.fma(FloatVector.broadcast(FLOATS, u2), evenScales.fma(evenT2, even2));
            odd2 = oddAtEight.fma(FloatVector.broadcast(FLOATS, u2), oddScales.fma(oddT2, odd2));
            even3 = evenAtEight.fma(FloatVector.broadcast(FLOATS, u3), evenScales.fma(evenT3, even3));
            odd3 = oddAtEight.fma(FloatVector.broadcast(FLOATS, u3), oddScales.fma(oddT3, odd3));
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
