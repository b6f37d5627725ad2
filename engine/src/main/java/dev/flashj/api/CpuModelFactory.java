package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.ModelFile;

/** The one call site of the CPU model, kept apart so a backend change touches one line. */
final class CpuModelFactory {
    private CpuModelFactory() {
    }

    static LanguageModel create(ModelFile file, CpuThreads threads) {
        throw new FlashjException(file.path() + ": the CPU model is not part of this build yet");
    }
}
