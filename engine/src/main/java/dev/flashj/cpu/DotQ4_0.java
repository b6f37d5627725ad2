package dev.flashj.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cpu.QuantVectors.B;
import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.L;
import static dev.flashj.cpu.QuantVectors.LE;
import static dev.flashj.cpu.QuantVectors.f16;
import static dev.flashj.cpu.QuantVectors.highNibbles;
import static dev.flashj.cpu.QuantVectors.lowNibbles;
import static dev.flashj.cpu.QuantVectors.toFloats;

/** Q4_0 rows (18-byte blocks: f16 d, 16 bytes whose low nibbles are elements 0..15, high 16..31; x = d*(q-8)). */
final class DotQ4_0 implements DotKernel {
    static final DotKernel INSTANCE = QuantVectors.FUSED ? new DotQ4_0() : DotScalarKernels.Q4_0;

    private static final int BLOCK_BYTES = 18;

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols) {
        int blocks = cols / 32;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int b = 0;
        for (; b + 2 <= blocks; b += 2) {
            long p = rowOffset + (long) BLOCK_BYTES * b;
            acc0 = block(w, p, x, xOffset + 32 * b, acc0);
            acc1 = block(w, p + BLOCK_BYTES, x, xOffset + 32 * b + 32, acc1);
        }
        if (b < blocks) {
            acc0 = block(w, rowOffset + (long) BLOCK_BYTES * b, x, xOffset + 32 * b, acc0);
        }
        return QuantVectors.sum(acc0.add(acc1));
    }

    private static FloatVector block(MemorySegment w, long p, float[] x, int xi, FloatVector acc) {
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < 16; j += L) {
            ByteVector q = ByteVector.fromMemorySegment(B, w, p + 2 + j, LE);
            sum = toFloats(lowNibbles(q).sub((byte) 8)).fma(FloatVector.fromArray(F, x, xi + j), sum);
            sum = toFloats(highNibbles(q).sub((byte) 8)).fma(FloatVector.fromArray(F, x, xi + 16 + j), sum);
        }
        return sum.fma(FloatVector.broadcast(F, f16(w, p)), acc);
    }

    @Override
    public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
        for (int b = 0; b < cols / 32; b++) {
            long p = rowOffset + (long) BLOCK_BYTES * b;
            FloatVector d = FloatVector.broadcast(F, f16(w, p));
            for (int j = 0; j < 16; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, p + 2 + j, LE);
                toFloats(lowNibbles(q).sub((byte) 8)).mul(d).intoArray(dst, 32 * b + j);
                toFloats(highNibbles(q).sub((byte) 8)).mul(d).intoArray(dst, 32 * b + 16 + j);
            }
        }
    }
}
