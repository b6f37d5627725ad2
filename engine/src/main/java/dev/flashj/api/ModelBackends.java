package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.backend.Availability;
import dev.flashj.backend.BackendProvider;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.ModelFile;

import java.util.ServiceLoader;

/**
 * Turns an opened checkpoint into a runnable {@link LanguageModel} on the requested device. The
 * model takes ownership of the file (closing the model closes it; a failed load closes it too).
 */
final class ModelBackends {
    private ModelBackends() {
    }

    /** A runnable model, what must be closed after it, and where it runs. */
    record Loaded(LanguageModel model, AutoCloseable resources, String deviceDescription) {
    }

    /** Fails fast, before any file is opened, when the device cannot run models here. */
    static void requireRunnable(Device device) {
        if (device == Device.CUDA || device == Device.OPENCL) {
            throw unavailable(device);
        }
    }

    static Loaded load(ModelFile file, LoadOptions options) {
        return switch (options.device()) {
            case CPU -> loadCpu(file, options, "");
            case AUTO -> loadCpu(file, options, " [auto: chose the CPU backend]");
            case CUDA, OPENCL -> {
                file.close();
                throw unavailable(options.device());
            }
        };
    }

    private static Loaded loadCpu(ModelFile file, LoadOptions options, String note) {
        CpuThreads threads = new CpuThreads(options.threads() > 0 ? options.threads() : CpuThreads.defaultThreads());
        try {
            LanguageModel model = CpuModelFactory.create(file, threads);
            return new Loaded(model, threads, model.deviceDescription() + note);
        } catch (RuntimeException e) {
            threads.close();
            throw e;
        }
    }

    /** Why a GPU device cannot run the model, in the words of its provider when there is one. */
    private static FlashjException unavailable(Device device) {
        String name = device.cliName();
        for (BackendProvider provider : ServiceLoader.load(BackendProvider.class)) {
            if (provider.name().equalsIgnoreCase(name)) {
                Availability a = provider.availability();
                String reason = a.available()
                        ? "the embedding API cannot load models on it yet (the device itself is usable: " + a.reason() + ")"
                        : a.reason();
                return new FlashjException("the " + name + " backend is not available: " + reason);
            }
        }
        return new FlashjException("the " + name + " backend is not available: no provider named '" + name
                + "' on the class path (flashj-kernels-" + name + " missing)");
    }
}
