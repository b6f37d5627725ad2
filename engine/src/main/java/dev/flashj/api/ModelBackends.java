package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.backend.Availability;
import dev.flashj.backend.BackendProvider;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.ModelFile;

import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Turns an opened checkpoint into a runnable {@link LanguageModel} on the requested device. The
 * model takes ownership of the file (closing the model closes it; a failed load closes it too).
 * GPU backends are reached through their {@link BackendProvider}, never imported.
 */
final class ModelBackends {
    private ModelBackends() {
    }

    /** A runnable model, what must be closed after it, and where it runs. */
    record Loaded(LanguageModel model, AutoCloseable resources, String deviceDescription) {
    }

    /** Fails fast, before any file is opened, when an explicitly chosen GPU backend cannot run models here. */
    static void requireRunnable(Device device) {
        if (device == Device.CUDA || device == Device.OPENCL) {
            runnableProvider(device);
        }
    }

    static Loaded load(ModelFile file, LoadOptions options) {
        return switch (options.device()) {
            case CPU -> loadCpu(file, options, "");
            case AUTO -> loadAuto(file, options);
            case CUDA, OPENCL -> {
                BackendProvider provider;
                try {
                    provider = runnableProvider(options.device());
                } catch (RuntimeException e) {
                    file.close();
                    throw e;
                }
                LanguageModel model = provider.loadModel(file, options.deviceOption());
                yield new Loaded(model, () -> { }, model.deviceDescription());
            }
        };
    }

    /** CUDA, then an OpenCL GPU, then the CPU (an OpenCL CPU device such as PoCL is never picked). */
    private static Loaded loadAuto(ModelFile file, LoadOptions options) {
        for (Device gpu : new Device[] {Device.CUDA, Device.OPENCL}) {
            Optional<BackendProvider> provider = provider(gpu)
                    .filter(p -> p.runsModels() && p.availability().available() && p.hasGpu());
            if (provider.isPresent()) {
                LanguageModel model = provider.get().loadModel(file, gpu.cliName());
                return new Loaded(model, () -> { }, model.deviceDescription() + " [auto: chose the " + gpu.cliName() + " backend]");
            }
        }
        return loadCpu(file, options, " [auto: no GPU backend can run models here; chose the CPU]");
    }

    private static Loaded loadCpu(ModelFile file, LoadOptions options, String note) {
        CpuThreads threads = new CpuThreads(options.threads() > 0 ? options.threads() : CpuThreads.defaultThreads());
        try {
            LanguageModel model = CpuModelFactory.create(file, threads, options.kvBudget());
            return new Loaded(model, threads, model.deviceDescription() + note);
        } catch (RuntimeException e) {
            threads.close();
            throw e;
        }
    }

    private static Optional<BackendProvider> provider(Device device) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.name().equalsIgnoreCase(device.cliName())) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The provider of a GPU device when it can run models here, else an exception saying why not. */
    private static BackendProvider runnableProvider(Device device) {
        String name = device.cliName();
        BackendProvider provider = provider(device).orElseThrow(() -> new FlashjException("the " + name
                + " backend is not available: no provider named '" + name + "' on the class path (flashj-kernels-"
                + name + " missing)"));
        Availability a = provider.availability();
        if (!a.available()) {
            throw new FlashjException("the " + name + " backend is not available: " + a.reason());
        }
        if (!provider.runsModels()) {
            throw new FlashjException("the " + name + " backend is not available: it cannot run models yet"
                    + " (the device itself is usable: " + a.reason() + ")");
        }
        return provider;
    }
}
