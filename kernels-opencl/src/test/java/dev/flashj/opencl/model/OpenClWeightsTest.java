package dev.flashj.opencl.model;

import dev.flashj.FlashjException;
import dev.flashj.opencl.runtime.ClDevice;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The model-too-big check, on a described (not real) device: runs without OpenCL. */
class OpenClWeightsTest {
    private static final ClDevice SMALL = new ClDevice(0, 1, MemorySegment.NULL, "GPU", "Tiny GPU", "Acme", "OpenCL 1.2",
            "1.0", "OpenCL C 1.2", 4, 256, 32768, 1_000_000, 250_000, "");

    @Test
    void modelLargerThanGlobalMemoryIsRefusedWithBothSizes() {
        FlashjException e = assertThrows(FlashjException.class,
                () -> OpenClWeights.checkFits(Path.of("big.gguf"), 1_000_001, SMALL));
        assertEquals("big.gguf: the model needs 1000001 bytes of weights on the device, more than the 1000000"
                + " bytes of global memory of opencl:0:1 Tiny GPU (GPU, Acme); use a smaller model or the CPU backend",
                e.getMessage());
        assertDoesNotThrow(() -> OpenClWeights.checkFits(Path.of("ok.gguf"), 1_000_000, SMALL));
    }
}
