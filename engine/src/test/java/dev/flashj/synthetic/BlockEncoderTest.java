package dev.flashj.synthetic;

import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Encode → {@link Dequantizer} round trips: each value comes back within its type's rounding step. */
class BlockEncoderTest {

    @Test
    void everyTypeRoundTripsWithinItsStep() {
        SplittableRandom random = new SplittableRandom(11);
        for (SyntheticWeightType weightType : SyntheticWeightType.values()) {
            TensorType type = weightType.tensorType();
            for (int blocks : new int[]{1, 3, 7}) {
                int count = blocks * BlockEncoder.BLOCK;
                float[] values = new float[count + 5];
                for (int i = 0; i < values.length; i++) {
                    // Mixed scales per block, so each block finds its own scale.
                    values[i] = (float) (random.nextGaussian() * Math.pow(10, (i / 32) % 3 - 2));
                }
                int from = 5;
                count = values.length - from - ((values.length - from) % BlockEncoder.BLOCK);
                float[] decoded = roundTrip(type, values, from, count);
                for (int b = 0; b < count / BlockEncoder.BLOCK; b++) {
                    double amax = 0;
                    for (int i = 0; i < BlockEncoder.BLOCK; i++) {
                        amax = Math.max(amax, Math.abs((double) values[from + b * BlockEncoder.BLOCK + i]));
                    }
                    double tolerance = switch (type) {
                        case F32 -> 0;
                        case F16 -> amax * 0x1p-11;
                        // Half a step of d = amax/127, plus the f16 rounding of d times the largest quant.
                        case Q8_0 -> amax / 127 * (0.5 + 127 * 0x1p-11) * 1.0001;
                        // The largest magnitude maps to -8 exactly; +amax clamps at 7, one step of d = amax/8.
                        case Q4_0 -> amax / 8 * (1 + 8 * 0x1p-11) * 1.0001;
                        default -> throw new AssertionError(type);
                    };
                    for (int i = 0; i < BlockEncoder.BLOCK; i++) {
                        int k = b * BlockEncoder.BLOCK + i;
                        double error = Math.abs(decoded[k] - (double) values[from + k]);
                        assertTrue(error <= tolerance, type + " block " + b + " element " + i + ": " + values[from + k]
                                + " came back as " + decoded[k] + " (tolerance " + tolerance + ")");
                    }
                }
            }
        }
    }

    @Test
    void allZeroBlocksStayZeroAndFinite() {
        for (TensorType type : new TensorType[]{TensorType.Q8_0, TensorType.Q4_0}) {
            float[] decoded = roundTrip(type, new float[BlockEncoder.BLOCK], 0, BlockEncoder.BLOCK);
            for (float v : decoded) {
                assertEquals(0f, v, 0f, type.toString()); // -0 counts as zero
            }
        }
    }

    @Test
    void q4_0PacksLowAndHighHalvesLikeGgml() {
        float[] values = new float[BlockEncoder.BLOCK];
        values[0] = -8;  // the extreme: d = 1, quant 0
        values[16] = 7;  // quant 15, in the high nibble of byte 0
        values[1] = 1;   // quant 9, low nibble of byte 1
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(TensorType.Q4_0.bytesPerBlock());
            BlockEncoder.encode(TensorType.Q4_0, values, 0, BlockEncoder.BLOCK, block, 0);
            assertEquals(1f, Float.float16ToFloat(block.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0)));
            assertEquals((byte) 0xF0, block.get(ValueLayout.JAVA_BYTE, 2));
            assertEquals((byte) 0x89, block.get(ValueLayout.JAVA_BYTE, 3));
        }
    }

    private static float[] roundTrip(TensorType type, float[] values, int from, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment encoded = arena.allocate(type.bytesFor(count) + 3).asSlice(3);
            BlockEncoder.encode(type, values, from, count, encoded, 0);
            float[] decoded = new float[count];
            java.util.Arrays.fill(decoded, Float.NaN);
            Dequantizer.dequantize(type, encoded, 0, decoded, 0, count);
            return decoded;
        }
    }
}
