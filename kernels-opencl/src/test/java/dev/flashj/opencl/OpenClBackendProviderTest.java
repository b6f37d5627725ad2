package dev.flashj.opencl;

import dev.flashj.backend.Availability;
import dev.flashj.backend.BackendProvider;
import dev.flashj.backend.NativeLibraryProbe;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenClBackendProviderTest {

    @Test
    void registeredAndNotUsableYet() {
        assertTrue(ServiceLoader.load(BackendProvider.class).stream()
                .anyMatch(p -> p.type() == OpenClBackendProvider.class));
        OpenClBackendProvider opencl = new OpenClBackendProvider();
        assertEquals("opencl", opencl.name());
        Availability a = opencl.availability();
        assertFalse(a.available());
        String loader = NativeLibraryProbe.isLoadable("libOpenCL.so.1") ? "libOpenCL.so.1 found" : "libOpenCL.so.1 not found";
        assertEquals("OpenCL backend not built yet (kernels land with the OpenCL backend issue); " + loader, a.reason());
        assertTrue(opencl.devices().isEmpty());
    }
}
