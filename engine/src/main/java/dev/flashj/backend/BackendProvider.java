package dev.flashj.backend;

import java.util.List;

/**
 * A compute backend found with {@link java.util.ServiceLoader}. The engine never imports a kernel
 * module; each one registers a provider under META-INF/services.
 */
public interface BackendProvider {

    /** Short name used on the command line: "cpu", "cuda", "opencl". */
    String name();

    /** Whether it can run here, with the reason when it cannot. Never throws. */
    Availability availability();

    /** The devices it can use (empty when unavailable). */
    List<DeviceDescription> devices();
}
