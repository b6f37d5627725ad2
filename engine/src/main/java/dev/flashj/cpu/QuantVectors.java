package dev.flashj.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Vector shapes and element conversions shared by the CPU matrix kernels.
 *
 * <p>The float species is the preferred one capped at 512 bits. The fused quantized kernels load
 * exactly one byte per float lane, which needs 8 or 16 lanes ({@link #FUSED}); on other shapes
 * (128-bit NEON, for one) they fall back to scalar decoding plus a vector float dot product.
 *
 * <p>Why the kernels spell their vector code out inline instead of calling helpers here: C2 only
 * keeps vectors in registers when every method that passes one is inlined, and it refuses to inline
 * a helper that was already compiled on its own into a big method; vectors then get boxed on the
 * heap and a kernel runs ten times slower. So the helpers below take and return scalars only.
 */
final class QuantVectors {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() > 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector. */
    static final int L = F.length();
    static final boolean FUSED = L == 8 || L == 16;
    /** Bytes, one per float lane. */
    static final VectorSpecies<Byte> B = L == 16 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
    /** 16-bit halves/bfloats, one per float lane. */
    static final VectorSpecies<Short> S = L == 16 ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;
    static final VectorSpecies<Integer> I = F.vectorShape().withLanes(int.class);

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** A half's magnitude bits shifted into float position, from which on it is Inf or NaN. */
    static final int F16_INF_MAGNITUDE = 0x7c00 << 13;

    private QuantVectors() {
    }

    /** The IEEE half at byte {@code offset}, widened to float. */
    static float f16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(SHORT, offset));
    }

    static int u8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /**
     * The sum of {@code lanes[0, L)} in a fixed order. Kernels store their accumulator there instead
     * of calling {@code reduceLanes(ADD)}, which leaves the float order open: the interpreter and the
     * compiled code do differ, which would make results depend on warm-up and on the thread count.
     */
    static float sumLanes(float[] lanes) {
        float s = 0;
        for (int i = 0; i < L; i++) {
            s += lanes[i];
        }
        return s;
    }

    static float bf16(MemorySegment s, long offset) {
        return Float.intBitsToFloat((s.get(SHORT, offset) & 0xFFFF) << 16);
    }
}
