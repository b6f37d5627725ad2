package dev.flashj.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cpu.QuantVectors.B;
import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.L;
import static dev.flashj.cpu.QuantVectors.LE;
import static dev.flashj.cpu.QuantVectors.f16;
import static dev.flashj.cpu.QuantVectors.sumLanes;

/**
 * Q4_0 rows (18-byte blocks: f16 d, 16 bytes whose low nibbles are elements 0..15 and high
 * nibbles 16..31; x = d*(q-8)). High nibbles are shifted on 16-bit lanes (x86 has no byte shift)
 * and masked.
 */
final class DotQ4_0 implements DotKernel {
    static final DotKernel INSTANCE = QuantVectors.FUSED ? new DotQ4_0() : DotScalarKernels.Q4_0;

    private static final int BLOCK_BYTES = 18;

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
                     float[] lanes) {
        int blocks = cols / 32;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int b = 0; b < blocks; b++) {
            long p = rowOffset + (long) BLOCK_BYTES * b;
            int xi = xOffset + 32 * b;
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, p + 2 + j, LE);
                ByteVector qLo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector qHi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F).sub((byte) 8);
                sum = ((FloatVector) qLo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + j), sum);
                sum = ((FloatVector) qHi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + 16 + j), sum);
            }
            // Alternate accumulators so that consecutive blocks do not wait on each other.
            if ((b & 1) == 0) {
                acc0 = sum.fma(FloatVector.broadcast(F, f16(w, p)), acc0);
            } else {
                acc1 = sum.fma(FloatVector.broadcast(F, f16(w, p)), acc1);
            }
        }
        acc0.add(acc1).intoArray(lanes, 0);
        return sumLanes(lanes);
    }

    @Override
    public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
        for (int b = 0; b < cols / 32; b++) {
            long p = rowOffset + (long) BLOCK_BYTES * b;
            FloatVector d = FloatVector.broadcast(F, f16(w, p));
            for (int j = 0; j < 16; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, p + 2 + j, LE);
                ByteVector qLo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector qHi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) 0x0F).sub((byte) 8);
                ((FloatVector) qLo.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, 32 * b + j);
                ((FloatVector) qHi.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, 32 * b + 16 + j);
            }
        }
    }
}
