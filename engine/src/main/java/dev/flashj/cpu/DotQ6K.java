package dev.flashj.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.flashj.cpu.QuantVectors.B;
import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.L;
import static dev.flashj.cpu.QuantVectors.LE;
import static dev.flashj.cpu.QuantVectors.f16;
import static dev.flashj.cpu.QuantVectors.highNibbles;
import static dev.flashj.cpu.QuantVectors.lowNibbles;
import static dev.flashj.cpu.QuantVectors.shiftLeft;
import static dev.flashj.cpu.QuantVectors.shiftRight;
import static dev.flashj.cpu.QuantVectors.toFloats;

/**
 * Q6_K rows (210-byte super-blocks of 256: 128 bytes of low nibbles, 64 bytes of 2-bit high parts,
 * 16 int8 scales, f16 d; x = d*sc*(q-32) with one scale per 16 elements). Each half of 128
 * elements uses 64 low-nibble bytes {@code a = ql[l], c = ql[l+32]} and 32 high bytes {@code h}:
 * element l is a.lo|h bits 0-1, l+32 is c.lo|h bits 2-3, l+64 is a.hi|h bits 4-5, l+96 is c.hi|h bits 6-7.
 */
final class DotQ6K implements DotKernel {
    static final DotKernel INSTANCE = QuantVectors.FUSED ? new DotQ6K() : DotScalarKernels.Q6_K;

    private static final int BLOCK_BYTES = 210;

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        for (int sb = 0; sb < cols / 256; sb++) {
            long p = rowOffset + (long) BLOCK_BYTES * sb;
            float d = f16(w, p + 208);
            for (int half = 0; half < 2; half++) {
                long ql = p + 64 * half;
                long qh = p + 128 + 32 * half;
                long sc = p + 192 + 8 * half;
                int xb = xOffset + 256 * sb + 128 * half;
                for (int l = 0; l < 32; l += L) {
                    ByteVector a = ByteVector.fromMemorySegment(B, w, ql + l, LE);
                    ByteVector c = ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B, w, qh + l, LE);
                    long s = sc + l / 16;
                    acc0 = term(lowNibbles(a).or(shiftLeft(h, 4).and((byte) 0x30)), x, xb + l, d, w, s, acc0);
                    acc1 = term(lowNibbles(c).or(shiftLeft(h, 2).and((byte) 0x30)), x, xb + 32 + l, d, w, s + 2, acc1);
                    acc2 = term(highNibbles(a).or(h.and((byte) 0x30)), x, xb + 64 + l, d, w, s + 4, acc2);
                    acc3 = term(highNibbles(c).or(shiftRight(h, 2).and((byte) 0x30)), x, xb + 96 + l, d, w, s + 6, acc3);
                }
            }
        }
        return QuantVectors.sum(acc0.add(acc1).add(acc2.add(acc3)));
    }

    private static FloatVector term(ByteVector q, float[] x, int xi, float d, MemorySegment w, long scaleOffset, FloatVector acc) {
        FloatVector product = toFloats(q.sub((byte) 32)).mul(FloatVector.fromArray(F, x, xi));
        return product.fma(FloatVector.broadcast(F, d * w.get(ValueLayout.JAVA_BYTE, scaleOffset)), acc);
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
                    long s = sc + l / 16;
                    store(lowNibbles(a).or(shiftLeft(h, 4).and((byte) 0x30)), d, w, s, dst, o + l);
                    store(lowNibbles(c).or(shiftLeft(h, 2).and((byte) 0x30)), d, w, s + 2, dst, o + 32 + l);
                    store(highNibbles(a).or(h.and((byte) 0x30)), d, w, s + 4, dst, o + 64 + l);
                    store(highNibbles(c).or(shiftRight(h, 2).and((byte) 0x30)), d, w, s + 6, dst, o + 96 + l);
                }
            }
        }
    }

    private static void store(ByteVector q, float d, MemorySegment w, long scaleOffset, float[] dst, int at) {
        toFloats(q.sub((byte) 32)).mul(d * w.get(ValueLayout.JAVA_BYTE, scaleOffset)).intoArray(dst, at);
    }
}
