package dev.flashj.cpu;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.FLOAT;
import static dev.flashj.cpu.QuantVectors.L;
import static dev.flashj.cpu.QuantVectors.LE;
import static dev.flashj.cpu.QuantVectors.sumLanes;

/** F32 rows: plain little-endian floats. */
final class DotF32 implements DotKernel {
    static final DotF32 INSTANCE = new DotF32();

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
                     float[] lanes) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        int i = 0;
        for (; i + 4 * L <= cols; i += 4 * L) {
            long p = rowOffset + 4L * i;
            acc0 = FloatVector.fromMemorySegment(F, w, p, LE).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = FloatVector.fromMemorySegment(F, w, p + 4L * L, LE).fma(FloatVector.fromArray(F, x, xOffset + i + L), acc1);
            acc2 = FloatVector.fromMemorySegment(F, w, p + 8L * L, LE).fma(FloatVector.fromArray(F, x, xOffset + i + 2 * L), acc2);
            acc3 = FloatVector.fromMemorySegment(F, w, p + 12L * L, LE).fma(FloatVector.fromArray(F, x, xOffset + i + 3 * L), acc3);
        }
        for (; i + L <= cols; i += L) {
            acc0 = FloatVector.fromMemorySegment(F, w, rowOffset + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        acc0.add(acc1).add(acc2.add(acc3)).intoArray(lanes, 0);
        float sum = sumLanes(lanes);
        for (; i < cols; i++) {
            sum += w.get(FLOAT, rowOffset + 4L * i) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
        MemorySegment.copy(w, FLOAT, rowOffset, dst, 0, cols);
    }
}
