package dev.flashj.cuda;

import dev.flashj.backend.Availability;
import dev.flashj.cuda.runtime.Cuda;
import dev.flashj.cuda.runtime.CudaDevice;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Decides whether the CUDA backend can run here, and says why not: no kernels in this build, no
 * driver library, a driver older than the nvcc that built the kernels, no device, or only GPUs the
 * kernels were not built for. Pure decisions over facts gathered elsewhere, so each reason is testable
 * without a GPU.
 */
public final class CudaSupport {
    private CudaSupport() {
    }

    /** The verdict once the driver has been opened. */
    public static Availability judge(CudaKernelImage kernels, int driverVersion, List<CudaDevice> devices) {
        if (!kernels.built()) {
            return Availability.no(kernels.reason());
        }
        int required = kernels.requiredDriverVersion();
        if (driverVersion < required) {
            return Availability.no("driver too old: the CUDA driver supports CUDA " + Cuda.formatVersion(driverVersion)
                    + ", the kernels were built with nvcc " + kernels.nvccVersion() + " and need a driver for CUDA "
                    + Cuda.formatVersion(required) + " or newer");
        }
        if (devices.isEmpty()) {
            return Availability.no("no CUDA device (driver " + Cuda.formatVersion(driverVersion) + " found no GPU)");
        }
        List<CudaDevice> usable = devices.stream().filter(CudaSupport::hasKernels).toList();
        if (usable.isEmpty()) {
            return Availability.no("no kernels for " + devices.stream().map(CudaDevice::arch).distinct()
                    .collect(Collectors.joining(", ")) + " (the kernels need sm_80 or newer: " + kernels.archs() + ")");
        }
        return Availability.yes("driver " + Cuda.formatVersion(driverVersion) + ", " + usable.size() + " usable device(s): "
                + usable.stream().map(d -> d.id() + " " + d.name() + " (" + d.arch() + ")").collect(Collectors.joining(", ")));
    }

    public static boolean hasKernels(CudaDevice device) {
        return device.computeMajor() * 10 + device.computeMinor() >= CudaKernelImage.MIN_COMPUTE_CAPABILITY;
    }
}
