package dev.flashj.cuda.runtime;

import dev.flashj.cuda.bind.CudaDriverLibrary;
import dev.flashj.cuda.bind.CudaErrorNames;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.flashj.cuda.bind.CudaConstants.CUDA_SUCCESS;

/** Turns CUresult codes into {@link CudaException}s named after the call, using the driver's own error names. */
public final class CudaCheck {
    private CudaCheck() {
    }

    /** Throws unless {@code code} is CUDA_SUCCESS; {@code call} names the driver call and what it was for. */
    public static void check(CudaDriverLibrary driver, int code, String call) {
        if (code != CUDA_SUCCESS) {
            throw exception(driver, code, call);
        }
    }

    /** The exception for a failed call, described by cuGetErrorName/cuGetErrorString when the driver can. */
    public static CudaException exception(CudaDriverLibrary driver, int code, String call) {
        String name = null;
        String description = null;
        if (driver != null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
                if (driver.cuGetErrorName(code, slot) == CUDA_SUCCESS) {
                    name = CudaDriverLibrary.readCString(slot);
                }
                if (driver.cuGetErrorString(code, slot) == CUDA_SUCCESS) {
                    description = CudaDriverLibrary.readCString(slot);
                }
            }
        }
        return new CudaException(call, code, name != null ? name : CudaErrorNames.name(code), description);
    }
}
