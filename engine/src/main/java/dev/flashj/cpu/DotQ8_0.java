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
 * Q8_0 rows (34-byte blocks: f16 d, 32 int8 q). The bytes are widened to floats in registers:
 * the Vector API has no byte dot-product instruction, so llama.cpp's integer route costs more
 * widening steps than it saves.
 */
final class DotQ8_0 implements DotKernel {
    static final DotKernel INSTANCE = QuantVectors.FUSED ? new DotQ8_0() : DotScalarKernels.Q8_0;

    private static final int BLOCK_BYTES = 34;

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
                     float[] lanes) {
        int blocks = cols / 32;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int b = 0; b < blocks; b += 2) {
            // Two blocks per step (the second one empty at an odd end) for two independent chains.
            long p = rowOffset + (long) BLOCK_BYTES * b;
            int xi = xOffset + 32 * b;
            boolean second = b + 1 < blocks;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            for (int j = 0; j < 32; j += L) {
                s0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, p + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, x, xi + j), s0);
                if (second) {
                    s1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, p + 36 + j, LE).convertShape(VectorOperators.B2F, F, 0))
                            .fma(FloatVector.fromArray(F, x, xi + 32 + j), s1);
                }
            }
            acc0 = s0.fma(FloatVector.broadcast(F, f16(w, p)), acc0);
            if (second) {
                acc1 = s1.fma(FloatVector.broadcast(F, f16(w, p + BLOCK_BYTES)), acc1);
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
            for (int j = 0; j < 32; j += L) {
                ((FloatVector) ByteVector.fromMemorySegment(B, w, p + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d).intoArray(dst, 32 * b + j);
            }
        }
    }
}
