package dev.flashj.cpu;

import dev.flashj.tensor.Fp8Layout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cpu.QuantVectors.B;
import static dev.flashj.cpu.QuantVectors.F;
import static dev.flashj.cpu.QuantVectors.FLOAT;
import static dev.flashj.cpu.QuantVectors.I;
import static dev.flashj.cpu.QuantVectors.L;
import static dev.flashj.cpu.QuantVectors.LE;
import static dev.flashj.cpu.QuantVectors.sumLanes;

/**
 * FlashJ FP8 E4M3 rows ({@link Fp8Layout}: one code byte per element, one f32 scale per row after
 * all codes). A code becomes a float without a table: the sign-extended byte shifted left by 20 and
 * masked puts sign, exponent and mantissa in float position, and the result is multiplied by 2^120 before it meets x,
 * which re-biases the exponent from 7 to 127 and makes E4M3 subnormals (float subnormals before the
 * product) exact.
 * The NaN codes, which writers never store, would read as ±480.
 */
final class DotFp8 implements DotKernel {
    static final DotKernel INSTANCE = QuantVectors.FUSED ? new DotFp8() : new Scalar();

    private static final float REBIAS = 0x1p120f;
    /**
     * After the sign-extended code is shifted left by 20: the sign (bit 31) and the 7 exponent and
     * mantissa bits (26..20); the copies of the sign in bits 30..27 are cleared.
     */
    private static final int SIGN_AND_CODE = 0x87F00000;

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
                     float[] lanes) {
        long rows = Fp8Layout.rows(w.byteSize(), cols);
        long row = rowOffset / cols;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int j = 0;
        for (; j + 2 * L <= cols; j += 2 * L) {
            IntVector c0 = (IntVector) ByteVector.fromMemorySegment(B, w, rowOffset + j, LE).convertShape(VectorOperators.B2I, I, 0);
            IntVector c1 = (IntVector) ByteVector.fromMemorySegment(B, w, rowOffset + j + L, LE).convertShape(VectorOperators.B2I, I, 0);
            FloatVector v0 = c0.lanewise(VectorOperators.LSHL, 20).and(SIGN_AND_CODE).reinterpretAsFloats().mul(REBIAS);
            FloatVector v1 = c1.lanewise(VectorOperators.LSHL, 20).and(SIGN_AND_CODE).reinterpretAsFloats().mul(REBIAS);
            acc0 = v0.fma(FloatVector.fromArray(F, x, xOffset + j), acc0);
            acc1 = v1.fma(FloatVector.fromArray(F, x, xOffset + j + L), acc1);
        }
        acc0.add(acc1).intoArray(lanes, 0);
        float sum = sumLanes(lanes);
        for (; j < cols; j++) {
            sum += Fp8Layout.value(w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, rowOffset + j)) * x[xOffset + j];
        }
        return sum * w.get(FLOAT, Fp8Layout.scaleOffset(rows, cols, row));
    }

    @Override
    public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
        long rows = Fp8Layout.rows(w.byteSize(), cols);
        float scale = w.get(FLOAT, Fp8Layout.scaleOffset(rows, cols, rowOffset / cols));
        int j = 0;
        for (; j + L <= cols; j += L) {
            IntVector c = (IntVector) ByteVector.fromMemorySegment(B, w, rowOffset + j, LE).convertShape(VectorOperators.B2I, I, 0);
            c.lanewise(VectorOperators.LSHL, 20).and(SIGN_AND_CODE).reinterpretAsFloats().mul(REBIAS).mul(scale).intoArray(dst, j);
        }
        for (; j < cols; j++) {
            dst[j] = Fp8Layout.value(w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, rowOffset + j)) * scale;
        }
    }

    /** For vector shapes the fused loop does not handle. */
    private static final class Scalar implements DotKernel.DecodeOnly {
        @Override
        public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
            Fp8Layout.decode(w, cols, rowOffset, dst, 0, cols);
        }
    }
}
