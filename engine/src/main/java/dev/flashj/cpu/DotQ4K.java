package dev.flashj.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cpu.QuantVectors.B;
import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.INT;
import static dev.flashj.cpu.QuantVectors.L;
import static dev.flashj.cpu.QuantVectors.LE;
import static dev.flashj.cpu.QuantVectors.LONG;
import static dev.flashj.cpu.QuantVectors.f16;
import static dev.flashj.cpu.QuantVectors.highNibbles;
import static dev.flashj.cpu.QuantVectors.lowNibbles;
import static dev.flashj.cpu.QuantVectors.toFloats;

/**
 * Q4_K rows (144-byte super-blocks of 256: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins,
 * 128 bytes of nibbles; x = d*sc*q - dmin*m per sub-block of 32). The min term only needs the sum
 * of x over each sub-block, computed once per call ({@link #needsBlockSums()}).
 */
final class DotQ4K implements DotKernel {
    static final DotKernel INSTANCE = QuantVectors.FUSED ? new DotQ4K() : DotScalarKernels.Q4_K;

    private static final int BLOCK_BYTES = 144;

    @Override
    public boolean needsBlockSums() {
        return true;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        float minSum = 0;
        for (int sb = 0; sb < cols / 256; sb++) {
            long p = rowOffset + (long) BLOCK_BYTES * sb;
            float d = f16(w, p);
            float dmin = f16(w, p + 2);
            long packed0 = w.get(LONG, p + 4);
            int packed1 = w.get(INT, p + 12);
            int xb = xOffset + 256 * sb;
            int sums = blockSumsOffset + 8 * sb;
            for (int j = 0; j < 4; j++) {
                FloatVector lo = FloatVector.zero(F);
                FloatVector hi = lo;
                for (int l = 0; l < 32; l += L) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, p + 16 + 32 * j + l, LE);
                    lo = toFloats(lowNibbles(q)).fma(FloatVector.fromArray(F, x, xb + 64 * j + l), lo);
                    hi = toFloats(highNibbles(q)).fma(FloatVector.fromArray(F, x, xb + 64 * j + 32 + l), hi);
                }
                acc0 = lo.fma(FloatVector.broadcast(F, d * scale(packed0, packed1, 2 * j)), acc0);
                acc1 = hi.fma(FloatVector.broadcast(F, d * scale(packed0, packed1, 2 * j + 1)), acc1);
                minSum += dmin * (min(packed0, packed1, 2 * j) * blockSums[sums + 2 * j]
                        + min(packed0, packed1, 2 * j + 1) * blockSums[sums + 2 * j + 1]);
            }
        }
        return QuantVectors.sum(acc0.add(acc1)) - minSum;
    }

    @Override
    public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
        for (int sb = 0; sb < cols / 256; sb++) {
            long p = rowOffset + (long) BLOCK_BYTES * sb;
            float d = f16(w, p);
            float dmin = f16(w, p + 2);
            long packed0 = w.get(LONG, p + 4);
            int packed1 = w.get(INT, p + 12);
            for (int j = 0; j < 4; j++) {
                FloatVector d1 = FloatVector.broadcast(F, d * scale(packed0, packed1, 2 * j));
                FloatVector m1 = FloatVector.broadcast(F, dmin * min(packed0, packed1, 2 * j));
                FloatVector d2 = FloatVector.broadcast(F, d * scale(packed0, packed1, 2 * j + 1));
                FloatVector m2 = FloatVector.broadcast(F, dmin * min(packed0, packed1, 2 * j + 1));
                for (int l = 0; l < 32; l += L) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, p + 16 + 32 * j + l, LE);
                    toFloats(lowNibbles(q)).fma(d1, m1.neg()).intoArray(dst, 256 * sb + 64 * j + l);
                    toFloats(highNibbles(q)).fma(d2, m2.neg()).intoArray(dst, 256 * sb + 64 * j + 32 + l);
                }
            }
        }
    }

    /** Byte {@code k} (0..11) of the packed scales, held as a long (bytes 0..7) and an int (8..11). */
    private static int packedByte(long packed0, int packed1, int k) {
        return k < 8 ? (int) (packed0 >>> (8 * k)) & 0xFF : (packed1 >>> (8 * (k - 8))) & 0xFF;
    }

    static int scale(long packed0, int packed1, int j) {
        return j < 4
                ? packedByte(packed0, packed1, j) & 63
                : (packedByte(packed0, packed1, j + 4) & 0xF) | (packedByte(packed0, packed1, j - 4) >> 6) << 4;
    }

    static int min(long packed0, int packed1, int j) {
        return j < 4
                ? packedByte(packed0, packed1, j + 4) & 63
                : (packedByte(packed0, packed1, j + 4) >> 4) | (packedByte(packed0, packed1, j) >> 6) << 4;
    }
}
