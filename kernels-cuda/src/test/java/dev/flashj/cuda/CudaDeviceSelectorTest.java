package dev.flashj.cuda;

import dev.flashj.FlashjException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaDeviceSelectorTest {

    @Test
    void cudaAloneIsDeviceZero() {
        assertEquals(0, CudaDeviceSelector.parse("cuda").ordinal());
        assertEquals(3, CudaDeviceSelector.parse("cuda:3").ordinal());
    }

    @Test
    void otherSpellingsAreRejectedWithTheForm() {
        for (String bad : new String[] {"cuda:", "cuda:x", "cuda:0:1", "opencl:0:0", "gpu"}) {
            FlashjException e = assertThrows(FlashjException.class, () -> CudaDeviceSelector.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("cuda:N"), e.getMessage());
        }
    }
}
