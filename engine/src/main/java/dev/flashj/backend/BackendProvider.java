package dev.flashj.backend;

import dev.flashj.ops.AttentionOps;

import java.util.List;
import java.util.Optional;

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

    /**
     * Attention ops ({@link AttentionOps}) on {@code device} ("cpu", "opencl:0:0"): empty when the id
     * is not this backend's or it has none; throws a {@link dev.flashj.FlashjException} saying why when
     * the id is this backend's but the device cannot be opened. The caller closes the ops.
     */
    default Optional<AttentionOps> attentionOps(String device) {
        return Optional.empty();
    }
}
