package dev.flashj.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cpu.QuantVectors.B;
import static dev.flashj.cpu.QuantVectors.F;
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
 */
final class DotQ4K implements DotKernel {
    static final DotKernel INSTANCE = QuantVectors.FUSED ? new DotQ4K() : DotScalarKernels.Q4_K;

    private static final int BLOCK_BYTES = 144;

    @Override
    public boolean needsBlockSums() {
        return true;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
                     float[] lanes) {
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
