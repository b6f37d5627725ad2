package dev.flashj.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
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

    private static final int F16_INF_MAGNITUDE = 0x7c00 << 13;

    private QuantVectors() {
    }

    /** The IEEE half at byte {@code offset}, widened to float. */
    static float f16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(SHORT, offset));
    }

    static int u8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** Signed bytes (one per lane) to floats. */
    static FloatVector toFloats(ByteVector bytes) {
        return (FloatVector) bytes.convertShape(VectorOperators.B2F, F, 0);
    }

    /** The low nibble of every byte. */
    static ByteVector lowNibbles(ByteVector q) {
        return q.and((byte) 0x0F);
    }

    /** The high nibble of every byte (shifted on 16-bit lanes: x86 has no byte shifts). */
    static ByteVector highNibbles(ByteVector q) {
        return q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
    }

    /** Every byte shifted left by {@code n} (bits crossing into the next byte must be masked by the caller). */
    static ByteVector shiftLeft(ByteVector q, int n) {
        return q.reinterpretAsShorts().lanewise(VectorOperators.LSHL, n).reinterpretAsBytes();
    }

    /** Every byte shifted right by {@code n} (bits from the next byte must be masked by the caller). */
    static ByteVector shiftRight(ByteVector q, int n) {
        return q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, n).reinterpretAsBytes();
    }

    /** {@link #L} IEEE halves at byte {@code offset} to floats, exactly (subnormals, infinities and NaNs included). */
    static FloatVector halvesToFloats(MemorySegment s, long offset) {
        ShortVector h16 = ShortVector.fromMemorySegment(S, s, offset, LE);
        IntVector h = (IntVector) h16.convertShape(VectorOperators.S2I, I, 0); // sign-extended
        IntVector magnitude = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
        // Rebias the exponent by multiplying: also turns half subnormals into the right float.
        IntVector bits = magnitude.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        bits = bits.lanewise(VectorOperators.OR, 0x7f800000, magnitude.compare(VectorOperators.GE, F16_INF_MAGNITUDE));
        return bits.or(h.and(0x80000000)).reinterpretAsFloats();
    }

    /** {@link #L} bfloat16 values at byte {@code offset} to floats. */
    static FloatVector bfloatsToFloats(MemorySegment s, long offset) {
        ShortVector h16 = ShortVector.fromMemorySegment(S, s, offset, LE);
        IntVector h = (IntVector) h16.convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * The sum of the lanes in a fixed order. {@code reduceLanes(ADD)} leaves the float order open and
     * the interpreter and the compiled code do differ, which would make results depend on warm-up.
     */
    static float sum(FloatVector v) {
        float s = 0;
        for (int i = 0; i < L; i++) {
            s += v.lane(i);
        }
        return s;
    }

    static float bf16(MemorySegment s, long offset) {
        return Float.intBitsToFloat((s.get(SHORT, offset) & 0xFFFF) << 16);
    }
}
