package dev.flashj.cuda.kernels;

import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which tensor types stay quantized on the GPU, and how their device data is described. */
class QuantFormatTest {

    @Test
    void exactlyTheTypesWithKernelsAreKeptQuantized() {
        Set<TensorType> kept = EnumSet.noneOf(TensorType.class);
        for (TensorType t : TensorType.values()) {
            QuantFormat.of(t).ifPresent(f -> {
                assertEquals(t, f.type());
                kept.add(t);
            });
        }
        assertEquals(EnumSet.of(TensorType.Q8_0, TensorType.Q4_0, TensorType.Q4_K, TensorType.Q6_K, TensorType.INT4_G128,
                TensorType.INT4_G32, TensorType.FP8_E4M3), kept);
    }

    @Test
    void ggufFormatsAreReadInPlaceAndFlashjFormatsFromTiles() {
        for (QuantFormat f : QuantFormat.values()) {
            boolean gguf = f.type().ordinal() < TensorType.INT4_G128.ordinal();
            assertEquals(gguf, f.inPlace(), f.toString());
            assertEquals(!gguf, f.tiled(), f.toString());
        }
        assertEquals(128, QuantFormat.INT4_G128.group());
        assertEquals(32, QuantFormat.INT4_G32.group());
        assertFalse(QuantFormat.FP8_E4M3.inPlace());
    }

    @Test
    void tiledFormatsNeedTheirParams() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new QuantizedMatrix(QuantFormat.INT4_G32, null, null, 1, 32));
        assertTrue(missing.getMessage().contains("INT4_G32: params must be present"), missing.getMessage());
    }
}
