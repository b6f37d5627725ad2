package dev.flashj.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.flashj.cpu.QuantVectors.B;
import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.L;
import static dev.flashj.cpu.QuantVectors.LE;
import static dev.flashj.cpu.QuantVectors.f16;
import static dev.flashj.cpu.QuantVectors.sumLanes;

/**
 * Q6_K rows (210-byte super-blocks of 256: 128 bytes of low nibbles, 64 bytes of 2-bit high parts,
 * 16 int8 scales, f16 d; x = d*sc*(q-32) with one scale per 16 elements). Each half of 128
 * elements uses 64 low-nibble bytes {@code a = ql[l], c = ql[l+32]} and 32 high bytes {@code h}:
 * element l is a.lo|h bits 0-1, l+32 is c.lo|h bits 2-3, l+64 is a.hi|h bits 4-5, l+96 is c.hi|h bits 6-7.
 * The two high bits are moved to bits 4-5 by 16-bit shifts and a 0x30 mask (bits that cross
 * into the neighbouring byte are masked away).
 */
final class DotQ6K implements DotKernel {
    static final DotKernel INSTANCE = QuantVectors.FUSED ? new DotQ6K() : DotScalarKernels.Q6_K;

    private static final int BLOCK_BYTES = 210;

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
                     float[] lanes) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int sb = 0; sb < cols / 256; sb++) {
            long p = rowOffset + (long) BLOCK_BYTES * sb;
            float d = f16(w, p + 208);
            // d times the 16 int8 scales into lanes[0, 16), widened in one go; the FMAs broadcast from there.
            ByteVector scaleBytes = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, p + 192, LE);
            ((FloatVector) scaleBytes.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(lanes, 0);
            if (L == 8) {
                ((FloatVector) scaleBytes.convertShape(VectorOperators.B2F, F, 1)).mul(d).intoArray(lanes, 8);
            }
            for (int half = 0; half < 2; half++) {
                long ql = p + 64 * half;
                long qh = p + 128 + 32 * half;
                int xb = xOffset + 256 * sb + 128 * half;
                for (int l = 0; l < 32; l += L) {
                    ByteVector a = ByteVector.fromMemorySegment(B, w, ql + l, LE);
                    ByteVector c = ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B, w, qh + l, LE);
                    ByteVector aHi = a.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                    ByteVector cHi = c.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                    ByteVector h01 = h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30);
                    ByteVector h23 = h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30);
                    ByteVector h67 = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and((byte) 0x30);
                    ByteVector q1 = a.and((byte) 0x0F).or(h01).sub((byte) 32);
                    ByteVector q2 = c.and((byte) 0x0F).or(h23).sub((byte) 32);
                    ByteVector q3 = aHi.or(h.and((byte) 0x30)).sub((byte) 32);
                    ByteVector q4 = cHi.or(h67).sub((byte) 32);
                    int s = 8 * half + l / 16;
                    FloatVector t1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb + l));
                    FloatVector t2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb + 32 + l));
                    FloatVector t3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb + 64 + l));
                    FloatVector t4 = ((FloatVector) q4.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb + 96 + l));
                    acc0 = t1.fma(FloatVector.broadcast(F, lanes[s]), acc0);
                    acc1 = t2.fma(FloatVector.broadcast(F, lanes[s + 2]), acc1);
                    acc0 = t3.fma(FloatVector.broadcast(F, lanes[s + 4]), acc0);
                    acc1 = t4.fma(FloatVector.broadcast(F, lanes[s + 6]), acc1);
                }
            }
        }
        acc0.add(acc1).intoArray(lanes, 0);
        return sumLanes(lanes);
    }

    @Override
    public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
        for (int sb = 0; sb < cols / 256; sb++) {
            long p = rowOffset + (long) BLOCK_BYTES * sb;
            float d = f16(w, p + 208);
            for (int half = 0; half < 2; half++) {
                long ql = p + 64 * half;
                long qh = p + 128 + 32 * half;
                long sc = p + 192 + 8 * half;
                int o = 256 * sb + 128 * half;
                for (int l = 0; l < 32; l += L) {
                    ByteVector a = ByteVector.fromMemorySegment(B, w, ql + l, LE);
                    ByteVector c = ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B, w, qh + l, LE);
                    ByteVector aHi = a.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                    ByteVector cHi = c.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                    ByteVector h01 = h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes().and((byte) 0x30);
                    ByteVector h23 = h.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes().and((byte) 0x30);
                    ByteVector h67 = h.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and((byte) 0x30);
                    long s = sc + l / 16;
                    ((FloatVector) a.and((byte) 0x0F).or(h01).sub((byte) 32).convertShape(VectorOperators.B2F, F, 0))
                            .mul(d * w.get(ValueLayout.JAVA_BYTE, s)).intoArray(dst, o + l);
                    ((FloatVector) c.and((byte) 0x0F).or(h23).sub((byte) 32).convertShape(VectorOperators.B2F, F, 0))
                            .mul(d * w.get(ValueLayout.JAVA_BYTE, s + 2)).intoArray(dst, o + 32 + l);
                    ((FloatVector) aHi.or(h.and((byte) 0x30)).sub((byte) 32).convertShape(VectorOperators.B2F, F, 0))
                            .mul(d * w.get(ValueLayout.JAVA_BYTE, s + 4)).intoArray(dst, o + 64 + l);
                    ((FloatVector) cHi.or(h67).sub((byte) 32).convertShape(VectorOperators.B2F, F, 0))
                            .mul(d * w.get(ValueLayout.JAVA_BYTE, s + 6)).intoArray(dst, o + 96 + l);
                }
            }
        }
    }
}
