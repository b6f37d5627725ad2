package dev.flashj.tensor;

import dev.flashj.FlashjException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Placeholder (F32 only) until the dequantizers land: decodes tensor elements to floats. */
public final class Dequantizer {
    private Dequantizer() {
    }

    /**
     * Decodes {@code count} elements of {@code t}, starting at element {@code first}, into {@code dst}.
     * For quantized types {@code first} and {@code count} must be multiples of the block size.
     */
    public static void dequantize(Tensor t, long first, float[] dst, int dstOffset, int count) {
        dequantize(t.type(), t.data(), first, dst, dstOffset, count);
    }

    /** Same, on raw bytes of the given type. */
    public static void dequantize(TensorType type, MemorySegment src, long first, float[] dst, int dstOffset, int count) {
        if (type != TensorType.F32) {
            throw new FlashjException("dequantizing " + type + " is not implemented yet");
        }
        MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED, first * 4, dst, dstOffset, count);
    }
}
