package dev.flashj.api;

/** Where a model runs. {@link #AUTO} picks the best backend that can run it: CUDA, then an OpenCL GPU, then the CPU. */
public enum Device {
    /** The best available backend that runs whole models (an OpenCL CPU device such as PoCL is not picked). */
    AUTO,
    /** The Java CPU backend (Vector API, worker threads). */
    CPU,
    /** NVIDIA GPUs through the CUDA driver. */
    CUDA,
    /** OpenCL devices. */
    OPENCL;

    /** The lower-case name used on the command line and by {@link dev.flashj.backend.BackendProvider#name()}. */
    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses "auto", "cpu", "cuda" or "opencl" (any case). */
    public static Device parse(String name) {
        for (Device d : values()) {
            if (d.cliName().equalsIgnoreCase(name.trim())) {
                return d;
            }
        }
        throw new dev.flashj.FlashjException("unknown device '" + name + "' (expected auto, cpu, cuda or opencl)");
    }
}
