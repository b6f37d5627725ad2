package dev.flashj.cpu;

import dev.flashj.tensor.Int4Layout;
import dev.flashj.tensor.TensorType;
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
 * FlashJ INT4 rows ({@link Int4Layout}: codes of a row contiguous, f16 scale/offset pairs in a
 * region after all codes). A group contributes {@code scale * sum(code * x) + offset * sum(x)}; the
 * second sum comes from the per-32 block sums of x, so the inner loop is one FMA per element.
 * Vectors stay inside one method per loop (see {@link QuantVectors} on why helpers take no vectors).
 * The row index is recovered from the row's byte offset, the row count from the segment size.
 */
final class DotInt4 implements DotKernel {
    static final DotKernel G128 = QuantVectors.FUSED ? new DotInt4(TensorType.INT4_G128) : new Scalar(TensorType.INT4_G128);
    static final DotKernel G32 = QuantVectors.FUSED ? new DotInt4(TensorType.INT4_G32) : new Scalar(TensorType.INT4_G32);

    private final TensorType type;
    private final int group;
    private final int half;
    /** 32-element block sums of x per group. */
    private final int sumsPerGroup;

    private DotInt4(TensorType type) {
        this.type = type;
        this.group = Int4Layout.groupSize(type);
        this.half = group / 2;
        this.sumsPerGroup = group / 32;
    }

    @Override
    public boolean needsBlockSums() {
        return true;
    }

    @Override
    public float dot(MemorySegment w, long rowOffset, float[] x, int xOffset, float[] blockSums, int blockSumsOffset, int cols,
                     float[] lanes) {
        long rowBytes = type.bytesFor(cols);
        long row = rowOffset / rowBytes;
        long rows = w.byteSize() / rowBytes;
        int groups = cols / group;
        long codes = row * cols / 2;
        long params = Int4Layout.paramsStart(rows, cols) + 4 * row * groups;
        if (group == 32) {
            codeSums32(w, codes, params, x, xOffset, groups, lanes);
        } else {
            codeSums128(w, codes, params, x, xOffset, groups, lanes);
        }
        // The offsets' share, sum_g offset_g * sum(x over g), in a separate scalar pass that keeps the vector
        // loop lean; two partial sums so that consecutive groups do not wait on each other's FMA.
        float even = 0;
        float odd = 0;
        for (int g = 0; g < groups; g++) {
            int firstSum = blockSumsOffset + sumsPerGroup * g;
            float xSum = blockSums[firstSum];
            for (int k = 1; k < sumsPerGroup; k++) {
                xSum += blockSums[firstSum + k];
            }
            if ((g & 1) == 0) {
                even += f16(w, params + 4L * g + 2) * xSum;
            } else {
                odd += f16(w, params + 4L * g + 2) * xSum;
            }
        }
        float offsetTerm = even + odd;
        return sumLanes(lanes) + offsetTerm;
    }

    // Two copies of one loop, for 32 and 128: C2 unrolls an inner loop only when its trip count is a
    // constant, and the rolled loop ran three times slower for groups of 32.

    /** Sum over groups of scale_g * (codes . x) for groups of 32, lane-wise into {@code lanes}. */
    private static void codeSums32(MemorySegment w, long codes, long params, float[] x, int xOffset, int groups, float[] lanes) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int g = 0; g < groups; g++) {
            long p = codes + 16L * g;
            int xi = xOffset + 32 * g;
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, p + j, LE);
                ByteVector lo = q.and((byte) 0x0F);
                ByteVector hi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                sum = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + j), sum);
                sum = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + 16 + j), sum);
            }
            // Alternate accumulators so that consecutive groups do not wait on each other.
            if ((g & 1) == 0) {
                acc0 = sum.fma(FloatVector.broadcast(F, f16(w, params + 4L * g)), acc0);
            } else {
                acc1 = sum.fma(FloatVector.broadcast(F, f16(w, params + 4L * g)), acc1);
            }
        }
        acc0.add(acc1).intoArray(lanes, 0);
    }

    /** Sum over groups of scale_g * (codes . x) for groups of 128, lane-wise into {@code lanes}. */
    private static void codeSums128(MemorySegment w, long codes, long params, float[] x, int xOffset, int groups, float[] lanes) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int g = 0; g < groups; g++) {
            long p = codes + 64L * g;
            int xi = xOffset + 128 * g;
            FloatVector sum0 = FloatVector.zero(F);
            FloatVector sum1 = sum0;
            for (int j = 0; j < 64; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, p + j, LE);
                ByteVector lo = q.and((byte) 0x0F);
                ByteVector hi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                sum0 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + j), sum0);
                sum1 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xi + 64 + j), sum1);
            }
            if ((g & 1) == 0) {
                acc0 = sum0.add(sum1).fma(FloatVector.broadcast(F, f16(w, params + 4L * g)), acc0);
            } else {
                acc1 = sum0.add(sum1).fma(FloatVector.broadcast(F, f16(w, params + 4L * g)), acc1);
            }
        }
        acc0.add(acc1).intoArray(lanes, 0);
    }

    @Override
    public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
        long rowBytes = type.bytesFor(cols);
        long row = rowOffset / rowBytes;
        long rows = w.byteSize() / rowBytes;
        int groups = cols / group;
        long codes = row * cols / 2;
        long params = Int4Layout.paramsStart(rows, cols) + 4 * row * groups;
        for (int g = 0; g < groups; g++) {
            long p = codes + (long) half * g;
            FloatVector scale = FloatVector.broadcast(F, f16(w, params + 4L * g));
            FloatVector offset = FloatVector.broadcast(F, f16(w, params + 4L * g + 2));
            for (int j = 0; j < half; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, p + j, LE);
                ByteVector lo = q.and((byte) 0x0F);
                ByteVector hi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(scale).add(offset).intoArray(dst, group * g + j);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(scale).add(offset)
                        .intoArray(dst, group * g + half + j);
            }
        }
    }

    /** For vector shapes the fused loop does not handle: the scalar layout decoder plus a float dot. */
    private record Scalar(TensorType type) implements DotKernel.DecodeOnly {
        @Override
        public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
            long row = rowOffset / type.bytesFor(cols);
            Int4Layout.decode(type, w, cols, row * cols, dst, 0, cols);
        }
    }
}
