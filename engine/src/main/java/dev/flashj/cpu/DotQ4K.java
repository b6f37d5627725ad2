package dev.flashj.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cpu.QuantVectors.B;
import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.I;
import static dev.flashj.cpu.QuantVectors.INT;
import static dev.flashj.cpu.QuantVectors.L;
import static dev.flashj.cpu.QuantVectors.LE;
import static dev.flashj.cpu.QuantVectors.f16;
import static dev.flashj.cpu.QuantVectors.sumLanes;

/**
 * Q4_K rows (144-byte super-blocks of 256: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins,
 * 128 bytes of nibbles; x = d*sc*q - dmin*m per sub-block of 32; each 32 bytes of nibbles hold
 * sub-block 2j in their low and 2j+1 in their high halves). The min term only needs the sum of x
 * over each sub-block, computed once per call ({@link #needsBlockSums()}).
 *
 * <p>With 16 float lanes the dot product unpacks a super-block's eight scales and eight mins with
 * vector operations (two byte shuffles of the 16-byte header, per-lane shifts and masks) instead of
 * scalar bit twiddling and sixteen int-to-float conversions, which had cost as much as the whole
 * vector body (measured: 1.5x the throughput). Narrower shapes keep the scalar unpacking.
 */
final class DotQ4K implements DotKernel {
    static final DotKernel INSTANCE = QuantVectors.FUSED ? new DotQ4K() : DotScalarKernels.Q4_K;

    private static final int BLOCK_BYTES = 144;

    // The 6-bit values in 16 int lanes: lanes 0-7 are mins 0-7, lanes 8-15 scales 0-7 (see the
    // packing note below). LOW picks the header byte holding a value's low bits, HIGH the byte whose
    // top two bits are the value's bits 4-5 (only for values 4-7).
    private static final VectorShuffle<Byte> LOW = VectorShuffle.fromValues(ByteVector.SPECIES_128,
            8, 9, 10, 11, 12, 13, 14, 15, 4, 5, 6, 7, 12, 13, 14, 15);
    private static final VectorShuffle<Byte> HIGH = VectorShuffle.fromValues(ByteVector.SPECIES_128,
            8, 9, 10, 11, 8, 9, 10, 11, 4, 5, 6, 7, 4, 5, 6, 7);
    private static final int[] LOW_SHIFT = {0, 0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final int[] LOW_MASK = {63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15};
    private static final int[] HIGH_MASK = {0, 0, 0, 0, 3, 3, 3, 3, 0, 0, 0, 0, 3, 3, 3, 3};
    private static final VectorMask<Float> MIN_LANES = VectorMask.fromLong(F, 0xFF);

    @Override
    public boolean needsBlockSums() {
        return true;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
                     float[] lanes) {
        if (L != 16) {
            return dotScalarScales(w, rowOffset, x, xOffset, blockSums, blockSumsOffset, cols, lanes);
        }
        IntVector lowShift = IntVector.fromArray(I, LOW_SHIFT, 0);
        IntVector lowMask = IntVector.fromArray(I, LOW_MASK, 0);
        IntVector highMask = IntVector.fromArray(I, HIGH_MASK, 0);
        FloatVector minAcc = FloatVector.zero(F);
        FloatVector acc0 = minAcc;
        FloatVector acc1 = minAcc;
        for (int sb = 0; sb < cols / 256; sb++) {
            long p = rowOffset + (long) BLOCK_BYTES * sb;
            ByteVector header = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, p, LE);
            IntVector low = (IntVector) header.rearrange(LOW).convertShape(VectorOperators.B2I, I, 0);
            IntVector high = (IntVector) header.rearrange(HIGH).convertShape(VectorOperators.B2I, I, 0);
            IntVector sixBits = low.lanewise(VectorOperators.LSHR, lowShift).and(lowMask)
                    .or(high.lanewise(VectorOperators.LSHR, 6).and(highMask).lanewise(VectorOperators.LSHL, 4));
            int halves = header.reinterpretAsInts().lane(0);
            FloatVector factor = FloatVector.broadcast(F, Float.float16ToFloat((short) halves))
                    .blend(Float.float16ToFloat((short) (halves >>> 16)), MIN_LANES);
            // lanes[0, 8): dmin * min_k, lanes[8, 16): d * scale_k; the FMAs below broadcast from there.
            FloatVector scaled = ((FloatVector) sixBits.convertShape(VectorOperators.I2F, F, 0)).mul(factor);
            scaled.intoArray(lanes, 0);
            // Masked load: only this super-block's eight sums are read, so the array may end right after them.
            minAcc = minAcc.add(scaled.mul(FloatVector.fromArray(F, blockSums, blockSumsOffset + 8 * sb, MIN_LANES)), MIN_LANES);
            for (int j = 0; j < 4; j++) {
                long q = p + 16 + 32 * j;
                int xj = xOffset + 256 * sb + 64 * j;
                // Bytes widened to int lanes once; both nibbles are cut from the same ints.
                IntVector qa = (IntVector) ByteVector.fromMemorySegment(B, w, q, LE).convertShape(VectorOperators.B2I, I, 0);
                IntVector qb = (IntVector) ByteVector.fromMemorySegment(B, w, q + 16, LE).convertShape(VectorOperators.B2I, I, 0);
                FloatVector lo = ((FloatVector) qa.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, x, xj));
                FloatVector hi = ((FloatVector) qa.lanewise(VectorOperators.LSHR, 4).and(0x0F).convertShape(VectorOperators.I2F, F, 0))
                        .mul(FloatVector.fromArray(F, x, xj + 32));
                lo = ((FloatVector) qb.and(0x0F).convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.fromArray(F, x, xj + 16), lo);
                hi = ((FloatVector) qb.lanewise(VectorOperators.LSHR, 4).and(0x0F).convertShape(VectorOperators.I2F, F, 0))
                        .fma(FloatVector.fromArray(F, x, xj + 48), hi);
                acc0 = lo.fma(FloatVector.broadcast(F, lanes[8 + 2 * j]), acc0);
                acc1 = hi.fma(FloatVector.broadcast(F, lanes[9 + 2 * j]), acc1);
            }
        }
        minAcc.intoArray(lanes, 0);
        float minSum = sumLanes(lanes);
        acc0.add(acc1).intoArray(lanes, 0);
        return sumLanes(lanes) - minSum;
    }

    /** The dot product on 8-lane shapes: scales and mins unpacked with scalar code. */
    private static float dotScalarScales(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset,
                                         int cols, float[] lanes) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        float minSum = 0;
        for (int sb = 0; sb < cols / 256; sb++) {
            long p = rowOffset + (long) BLOCK_BYTES * sb;
            float d = f16(w, p);
            float dmin = f16(w, p + 2);
            int scales0123 = scales0123(w, p);
            int scales4567 = scales4567(w, p);
            int xb = xOffset + 256 * sb;
            int sums = blockSumsOffset + 8 * sb;
            for (int j = 0; j < 4; j++) {
                FloatVector lo = FloatVector.zero(F);
                FloatVector hi = lo;
                for (int l = 0; l < 32; l += L) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, p + 16 + 32 * j + l, LE);
                    ByteVector qLo = q.and((byte) 0x0F);
                    ByteVector qHi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                    lo = ((FloatVector) qLo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 64 * j + l), lo);
                    hi = ((FloatVector) qHi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 64 * j + 32 + l), hi);
                }
                int packed = j < 2 ? scales0123 : scales4567;
                int shift = 16 * (j & 1);
                acc0 = lo.fma(FloatVector.broadcast(F, d * ((packed >>> shift) & 0xFF)), acc0);
                acc1 = hi.fma(FloatVector.broadcast(F, d * ((packed >>> (shift + 8)) & 0xFF)), acc1);
            }
            int mins0123 = mins0123(w, p);
            int mins4567 = mins4567(w, p);
            float m = 0;
            for (int k = 0; k < 4; k++) {
                m += ((mins0123 >>> (8 * k)) & 0xFF) * blockSums[sums + k] + ((mins4567 >>> (8 * k)) & 0xFF) * blockSums[sums + 4 + k];
            }
            minSum += dmin * m;
        }
        acc0.add(acc1).intoArray(lanes, 0);
        return sumLanes(lanes) - minSum;
    }

    @Override
    public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
        for (int sb = 0; sb < cols / 256; sb++) {
            long p = rowOffset + (long) BLOCK_BYTES * sb;
            float d = f16(w, p);
            float dmin = f16(w, p + 2);
            int scales = 0;
            int mins = 0;
            for (int j = 0; j < 4; j++) {
                if (j == 0 || j == 2) {
                    scales = j == 0 ? scales0123(w, p) : scales4567(w, p);
                    mins = j == 0 ? mins0123(w, p) : mins4567(w, p);
                }
                int shift = 16 * (j & 1);
                FloatVector d1 = FloatVector.broadcast(F, d * ((scales >>> shift) & 0xFF));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * ((mins >>> shift) & 0xFF));
                FloatVector d2 = FloatVector.broadcast(F, d * ((scales >>> (shift + 8)) & 0xFF));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * ((mins >>> (shift + 8)) & 0xFF));
                for (int l = 0; l < 32; l += L) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, p + 16 + 32 * j + l, LE);
                    ByteVector qLo = q.and((byte) 0x0F);
                    ByteVector qHi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                    ((FloatVector) qLo.convertShape(VectorOperators.B2F, F, 0)).fma(d1, m1).intoArray(dst, 256 * sb + 64 * j + l);
                    ((FloatVector) qHi.convertShape(VectorOperators.B2F, F, 0)).fma(d2, m2).intoArray(dst, 256 * sb + 64 * j + 32 + l);
                }
            }
        }
    }

    // The 12 scale bytes pack eight 6-bit scales and eight 6-bit mins: scale j < 4 is the low 6
    // bits of byte j, min j < 4 those of byte j + 4; for j >= 4 the low 4 bits come from the
    // nibbles of byte j + 4 (scale: low nibble, min: high nibble) and the top 2 bits from the top
    // bits of byte j - 4 (scale) or byte j (min). Each helper returns four of them, one per byte.

    static int scales0123(MemorySegment w, long p) {
        return w.get(INT, p + 4) & 0x3F3F3F3F;
    }

    static int mins0123(MemorySegment w, long p) {
        return w.get(INT, p + 8) & 0x3F3F3F3F;
    }

    static int scales4567(MemorySegment w, long p) {
        return (w.get(INT, p + 12) & 0x0F0F0F0F) | ((w.get(INT, p + 4) >>> 6) & 0x03030303) << 4;
    }

    static int mins4567(MemorySegment w, long p) {
        return ((w.get(INT, p + 12) >>> 4) & 0x0F0F0F0F) | ((w.get(INT, p + 8) >>> 6) & 0x03030303) << 4;
    }
}
