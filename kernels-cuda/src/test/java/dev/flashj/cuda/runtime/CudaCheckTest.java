package dev.flashj.cuda.runtime;

import dev.flashj.FlashjException;
import dev.flashj.backend.NativeLibraryProbe;
import dev.flashj.cuda.bind.CudaDriverLibrary;
import dev.flashj.cuda.bind.CudaErrorNames;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaCheckTest {

    @Test
    void successPasses() {
        assertDoesNotThrow(() -> CudaCheck.check(null, 0, "cuInit"));
    }

    /** Without a driver to ask, the name comes from the cuda.h table and the message names the call. */
    @Test
    void failureNamesTheCallAndTheError() {
        CudaException e = assertThrows(CudaException.class, () -> CudaCheck.check(null, 2, "cuMemAlloc_v2(KV cache, 64 bytes)"));
        assertEquals("cuMemAlloc_v2(KV cache, 64 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2)", e.getMessage());
        assertEquals("cuMemAlloc_v2(KV cache, 64 bytes)", e.call());
        assertEquals(2, e.code());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertTrue(e instanceof FlashjException);
    }

    @Test
    void driverDescriptionIsAppended() {
        assertEquals("cuLaunchKernel(gemm_f16_f32) failed: CUDA_ERROR_ILLEGAL_ADDRESS (700): an illegal memory access was"
                        + " encountered",
                new CudaException("cuLaunchKernel(gemm_f16_f32)", 700, "CUDA_ERROR_ILLEGAL_ADDRESS",
                        "an illegal memory access was encountered").getMessage());
    }

    @Test
    void tableNamesCommonCodesAndNumbersTheRest() {
        assertEquals("CUDA_ERROR_NO_DEVICE", CudaErrorNames.name(100));
        assertEquals("CUDA_ERROR_NO_BINARY_FOR_GPU", CudaErrorNames.name(209));
        assertEquals("CUDA_ERROR_INSUFFICIENT_DRIVER", CudaErrorNames.name(35));
        assertEquals("CUresult 12345", CudaErrorNames.name(12345));
    }

    /** With the driver present its own names win: they must agree with the table. */
    @Test
    void driverNamesAgreeWithTheTable() {
        if (!NativeLibraryProbe.isLoadable(CudaDriverLibrary.LIBRARY_NAME)) {
            FlashjException e = assertThrows(FlashjException.class, () -> CudaDriverLibrary.load(Arena.ofAuto()));
            assertTrue(e.getMessage().startsWith("libcuda.so.1 not found"), e.getMessage());
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            CudaDriverLibrary driver = CudaDriverLibrary.load(arena);
            for (int code : new int[] {1, 2, 100, 209, 700}) {
                assertEquals(CudaErrorNames.name(code), CudaCheck.exception(driver, code, "test").errorName());
            }
        }
    }
}
