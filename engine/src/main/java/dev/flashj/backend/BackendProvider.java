package dev.flashj.backend;

import dev.flashj.FlashjException;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.ModelFile;
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

    /** Whether one of its devices is a GPU (what {@code --device auto} looks for). */
    default boolean hasGpu() {
        return false;
    }

    /** Whether {@link #loadModel} can run whole models on this backend. */
    default boolean runsModels() {
        return false;
    }

    /**
     * Loads a model onto the device that {@code device} names: the backend's name alone for its default
     * device, or with an address such as "opencl:0:1". The returned model owns {@code file} (closing
     * the model closes it); when loading fails the file is closed before the exception propagates.
     */
    default LanguageModel loadModel(ModelFile file, String device) {
        file.close();
        throw new FlashjException("the " + name() + " backend cannot run models yet");
    }

    /**
     * Attention ops ({@link AttentionOps}) on {@code device} ("cpu", "opencl:0:0"): empty when the id
     * is not this backend's or it has none; throws a {@link dev.flashj.FlashjException} saying why when
     * the id is this backend's but the device cannot be opened. The caller closes the ops.
     */
    default Optional<AttentionOps> attentionOps(String device) {
        return Optional.empty();
    }
}
