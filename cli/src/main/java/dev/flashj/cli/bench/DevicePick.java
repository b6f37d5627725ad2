package dev.flashj.cli.bench;

import dev.flashj.backend.Availability;
import dev.flashj.cuda.CudaBackendProvider;
import dev.flashj.opencl.runtime.ClDevice;
import dev.flashj.opencl.runtime.OpenCl;

import java.util.Locale;
import java.util.Optional;

/**
 * Turns a {@code --device} value into a device id: "auto" becomes the best device the machine has
 * (a usable CUDA GPU, else an OpenCL GPU, else the CPU; PoCL counts as a CPU), anything else is
 * checked for form only. Opening the device is the backend's job, and its failure says why.
 *
 * @param cuda      whether CUDA can run here, and why not
 * @param openClGpu the first OpenCL GPU's id ("opencl:0:0"), if any
 */
record DevicePick(Availability cuda, Optional<String> openClGpu) {

    /** Probes this machine (loads the CUDA and OpenCL libraries when present; never throws). */
    static DevicePick probe() {
        Availability cuda;
        try {
            cuda = new CudaBackendProvider().availability();
        } catch (RuntimeException | LinkageError e) {
            cuda = Availability.no("CUDA probe failed: " + e);
        }
        Optional<String> gpu = Optional.empty();
        try (OpenCl cl = OpenCl.open()) {
            gpu = cl.devices().stream().filter(ClDevice::isGpu).map(ClDevice::id).findFirst();
        } catch (RuntimeException | LinkageError e) {
            // No OpenCL here.
        }
        return new DevicePick(cuda, gpu);
    }

    /** The best device: "cuda:0", an OpenCL GPU's id, or "cpu". */
    String best() {
        if (cuda.available()) {
            return "cuda:0";
        }
        return openClGpu.orElse("cpu");
    }

    /**
     * {@code option} in canonical form, or the best device for "auto".
     *
     * @throws BenchUsageException naming --device for a value of the wrong form
     */
    static String resolve(String option, java.util.function.Supplier<DevicePick> machine) {
        String o = option.trim().toLowerCase(Locale.ROOT);
        if (o.equals("auto")) {
            return machine.get().best();
        }
        if (o.equals("cuda")) {
            return "cuda:0";
        }
        if (!o.equals("cpu") && !o.equals("opencl") && !o.matches("opencl:\\d+:\\d+") && !o.matches("cuda:\\d{1,4}")) {
            throw new BenchUsageException("--device", "'" + option + "' is not auto, cpu, cuda, cuda:N, opencl or opencl:P:D");
        }
        return o;
    }
}
