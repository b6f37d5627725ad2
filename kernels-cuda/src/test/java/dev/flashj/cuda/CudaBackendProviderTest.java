package dev.flashj.cuda;

import dev.flashj.backend.Availability;
import dev.flashj.backend.BackendProvider;
import dev.flashj.backend.NativeLibraryProbe;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaBackendProviderTest {

    @Test
    void registeredAndRunsModels() {
        assertTrue(ServiceLoader.load(BackendProvider.class).stream()
                .anyMatch(p -> p.type() == CudaBackendProvider.class));
        CudaBackendProvider cuda = new CudaBackendProvider();
        assertEquals("cuda", cuda.name());
        assertTrue(cuda.runsModels());
    }

    /** Without a driver the reason names the missing library (and the missing kernels when nvcc did not run). */
    @Test
    void withoutTheDriverLibrarySaysSo() {
        CudaBackendProvider cuda = new CudaBackendProvider();
        Availability a = cuda.availability();
        if (NativeLibraryProbe.isLoadable("libcuda.so.1")) {
            System.out.println("libcuda.so.1 loads here: cuda " + (a.available() ? "available: " : "unavailable: ") + a.reason());
            return;
        }
        assertFalse(a.available());
        assertTrue(a.reason().contains("libcuda.so.1 not found"), a.reason());
        if (!CudaKernelImage.fromClassPath().built()) {
            assertTrue(a.reason().startsWith("built without CUDA kernels"), a.reason());
        }
        assertTrue(cuda.devices().isEmpty());
        assertFalse(cuda.hasGpu());
    }
}
