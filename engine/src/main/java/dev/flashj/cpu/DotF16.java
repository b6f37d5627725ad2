package dev.flashj.cpu;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.L;

/** F16 rows: IEEE halves, widened in registers (the Vector API has no half conversion, so bit arithmetic). */
final class DotF16 implements DotKernel {
    static final DotF16 INSTANCE = new DotF16();

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int i = 0;
        for (; i + 2 * L <= cols; i += 2 * L) {
            long p = rowOffset + 2L * i;
            acc0 = QuantVectors.halvesToFloats(w, p).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = QuantVectors.halvesToFloats(w, p + 2L * L).fma(FloatVector.fromArray(F, x, xOffset + i + L), acc1);
        }
        for (; i + L <= cols; i += L) {
            acc0 = QuantVectors.halvesToFloats(w, rowOffset + 2L * i).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = QuantVectors.sum(acc0.add(acc1));
        for (; i < cols; i++) {
            sum += QuantVectors.f16(w, rowOffset + 2L * i) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
        int i = 0;
        for (; i + L <= cols; i += L) {
            QuantVectors.halvesToFloats(w, rowOffset + 2L * i).intoArray(dst, i);
        }
        for (; i < cols; i++) {
            dst[i] = QuantVectors.f16(w, rowOffset + 2L * i);
        }
    }
}
