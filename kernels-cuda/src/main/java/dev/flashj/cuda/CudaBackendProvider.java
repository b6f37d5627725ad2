package dev.flashj.cuda;

import dev.flashj.backend.Availability;
import dev.flashj.backend.BackendProvider;
import dev.flashj.backend.DeviceDescription;
import dev.flashj.backend.NativeLibraryProbe;

import java.util.List;

/**
 * The CUDA backend's entry for {@link java.util.ServiceLoader}. Not usable yet: it reports why, and
 * whether the CUDA driver library could be loaded on this machine.
 */
public final class CudaBackendProvider implements BackendProvider {

    static final String DRIVER_LIBRARY = "libcuda.so.1";

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Availability availability() {
        return Availability.no("CUDA backend not built yet (kernels land with the CUDA backend issue); "
                + NativeLibraryProbe.describe(DRIVER_LIBRARY));
    }

    @Override
    public List<DeviceDescription> devices() {
        return List.of();
    }
}
