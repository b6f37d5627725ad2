package dev.flashj.opencl;

import dev.flashj.backend.Availability;
import dev.flashj.backend.BackendProvider;
import dev.flashj.backend.DeviceDescription;
import dev.flashj.backend.NativeLibraryProbe;

import java.util.List;

/**
 * The OpenCL backend's entry for {@link java.util.ServiceLoader}. Not usable yet: it reports why, and
 * whether the OpenCL ICD loader library could be loaded on this machine.
 */
public final class OpenClBackendProvider implements BackendProvider {

    static final String ICD_LOADER_LIBRARY = "libOpenCL.so.1";

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public Availability availability() {
        return Availability.no("OpenCL backend not built yet (kernels land with the OpenCL backend issue); "
                + NativeLibraryProbe.describe(ICD_LOADER_LIBRARY));
    }

    @Override
    public List<DeviceDescription> devices() {
        return List.of();
    }
}
