package dev.flashj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.F16_INF_MAGNITUDE;
import static dev.flashj.cpu.QuantVectors.I;
import static dev.flashj.cpu.QuantVectors.L;
import static dev.flashj.cpu.QuantVectors.LE;
import static dev.flashj.cpu.QuantVectors.S;
import static dev.flashj.cpu.QuantVectors.SHORT;
import static dev.flashj.cpu.QuantVectors.f16;
import static dev.flashj.cpu.QuantVectors.sumLanes;

/**
 * F16 rows: IEEE halves. The Vector API has no half conversion, so they are widened with bit
 * arithmetic: magnitude shifted into float position and rebiased by a multiplication by 2^112
 * (which also gets subnormals right), exponent forced to all ones for Inf/NaN, sign or-ed back.
 */
final class DotF16 implements DotKernel {
    static final DotF16 INSTANCE = new DotF16();

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
                     float[] lanes) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int i = 0;
        for (; i + 2 * L <= cols; i += 2 * L) {
            long p = rowOffset + 2L * i;
            IntVector h0 = (IntVector) ShortVector.fromMemorySegment(S, w, p, LE).convertShape(VectorOperators.S2I, I, 0);
            IntVector h1 = (IntVector) ShortVector.fromMemorySegment(S, w, p + 2L * L, LE).convertShape(VectorOperators.S2I, I, 0);
            IntVector m0 = h0.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
            IntVector m1 = h1.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
            FloatVector w0 = m0.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                    .lanewise(VectorOperators.OR, 0x7f800000, m0.compare(VectorOperators.GE, F16_INF_MAGNITUDE))
                    .or(h0.and(0x80000000)).reinterpretAsFloats();
            FloatVector w1 = m1.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                    .lanewise(VectorOperators.OR, 0x7f800000, m1.compare(VectorOperators.GE, F16_INF_MAGNITUDE))
                    .or(h1.and(0x80000000)).reinterpretAsFloats();
            acc0 = w0.fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = w1.fma(FloatVector.fromArray(F, x, xOffset + i + L), acc1);
        }
        acc0.add(acc1).intoArray(lanes, 0);
        float sum = sumLanes(lanes);
        for (; i < cols; i++) {
            sum += f16(w, rowOffset + 2L * i) * x[xOffset + i];
        }
        return sum;
    }

    /**
     * A plain loop of {@link Float#float16ToFloat}: C2 turns it into the hardware conversion
     * (vcvtph2ps on x86), measured 4 to 5 times faster than the bit arithmetic above for a row in
     * cache (docs/perf/cpu.md, "Decode path"). The dot keeps the bit arithmetic: there the conversion
     * feeds the multiply-adds in registers, which a store and reload of the row would cost more than.
     */
    @Override
    public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
        for (int i = 0; i < cols; i++) {
            dst[i] = Float.float16ToFloat(w.get(SHORT, rowOffset + 2L * i));
        }
    }
}
