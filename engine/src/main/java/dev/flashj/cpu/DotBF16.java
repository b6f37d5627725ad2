package dev.flashj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.I;
import static dev.flashj.cpu.QuantVectors.L;
import static dev.flashj.cpu.QuantVectors.LE;
import static dev.flashj.cpu.QuantVectors.S;
import static dev.flashj.cpu.QuantVectors.bf16;
import static dev.flashj.cpu.QuantVectors.sumLanes;

/** BF16 rows: the top half of a float, widened by a shift. */
final class DotBF16 implements DotKernel {
    static final DotBF16 INSTANCE = new DotBF16();

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
                     float[] lanes) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int i = 0;
        for (; i + 2 * L <= cols; i += 2 * L) {
            long p = rowOffset + 2L * i;
            FloatVector w0 = ((IntVector) ShortVector.fromMemorySegment(S, w, p, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = ((IntVector) ShortVector.fromMemorySegment(S, w, p + 2L * L, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc0 = w0.fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = w1.fma(FloatVector.fromArray(F, x, xOffset + i + L), acc1);
        }
        acc0.add(acc1).intoArray(lanes, 0);
        float sum = sumLanes(lanes);
        for (; i < cols; i++) {
            sum += bf16(w, rowOffset + 2L * i) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
        int i = 0;
        for (; i + L <= cols; i += L) {
            ((IntVector) ShortVector.fromMemorySegment(S, w, rowOffset + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, i);
        }
        for (; i < cols; i++) {
            dst[i] = bf16(w, rowOffset + 2L * i);
        }
    }
}
