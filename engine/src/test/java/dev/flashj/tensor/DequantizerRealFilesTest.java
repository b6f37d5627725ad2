package dev.flashj.tensor;

import dev.flashj.TestData;
import dev.flashj.format.gguf.GgufFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The llama.cpp-made stories260K GGUFs, dequantized tensor by tensor (each under its own type), against
 * the F32 original: within half a rounding step of each type (computed here from the F32 values).
 */
class DequantizerRealFilesTest {

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0mix", "Q4_0mix"})
    void derivedFileMatchesF32Original(String variant) {
        Set<TensorType> checked = EnumSet.noneOf(TensorType.class);
        try (GgufFile reference = GgufFile.open(TestData.require("stories260K.gguf"));
             GgufFile derived = GgufFile.open(TestData.require("derived/stories260K-" + variant + ".gguf"))) {
            for (Tensor t : derived.tensors()) {
                Tensor f32 = reference.tensor(t.name()).orElseThrow(() -> new AssertionError("no " + t.name()));
                assertArrayEquals(f32.shape(), t.shape(), t.name());
                float[] expected = Dequantizer.toFloats(f32);
                float[] actual = Dequantizer.toFloats(t);
                checkWithinRounding(t.type(), t.name(), expected, actual);
                checked.add(t.type());
            }
        }
        assertTrue(checked.size() >= 2, "types checked: " + checked);
    }

    /** Maximum error of one value of {@code type}, for a block whose largest magnitude is {@code amax}. */
    private static double bound(TensorType type, double value, double amax) {
        double halfRounding = Math.abs(value) * Math.pow(2, -11) + Math.pow(2, -25);
        return switch (type) {
            case F32 -> 0;
            case F16 -> halfRounding;
            case BF16 -> Math.abs(value) * Math.pow(2, -8);
            // scale d = amax/127 (rounded to half); error half a step, plus the scale's own rounding
            case Q8_0 -> (amax / 127) * 0.5 * (1 + 1e-3) + amax * Math.pow(2, -11);
            // d = amax / 8 with 16 levels in [-8, 7]: the largest magnitude may be off by one step
            case Q4_0 -> (amax / 8) * (1 + 1e-3) + amax * Math.pow(2, -10);
            case Q5_0 -> (amax / 16) * (1 + 1e-3) + amax * Math.pow(2, -10);
            default -> throw new AssertionError("no bound for " + type);
        };
    }

    private static void checkWithinRounding(TensorType type, String name, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        int block = type.isQuantized() ? type.blockSize() : 1;
        double sumSquaredError = 0;
        double sumSquares = 0;
        for (int start = 0; start < expected.length; start += block) {
            double amax = 0;
            for (int i = start; i < start + block; i++) {
                amax = Math.max(amax, Math.abs(expected[i]));
            }
            for (int i = start; i < start + block; i++) {
                double error = Math.abs(expected[i] - (double) actual[i]);
                if (error > bound(type, expected[i], amax)) {
                    fail(name + " (" + type + ") element " + i + ": expected " + expected[i] + ", got " + actual[i]);
                }
                sumSquaredError += error * error;
                sumSquares += (double) expected[i] * expected[i];
            }
        }
        // Beyond the worst case: quantization noise must be small relative to the signal.
        double relativeRms = Math.sqrt(sumSquaredError / Math.max(sumSquares, 1e-30));
        double limit = switch (type) {
            case F32 -> 0;
            case F16 -> 1e-3;
            case BF16 -> 5e-3;
            case Q8_0 -> 0.02;
            default -> 0.2;
        };
        assertTrue(relativeRms <= limit, name + " (" + type + ") relative RMS error " + relativeRms);
    }
}
