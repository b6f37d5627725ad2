package dev.flashj.api;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.kv.KvBudget;
import dev.flashj.kv.KvLayout;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.ModelFile;
import dev.flashj.model.cpu.CpuLlamaModel;

import java.util.Optional;

/**
 * The one call site of the CPU model, kept apart so a backend change touches one line. Like
 * {@code CpuLlamaModel.load}, it takes ownership of the file: the model closes it, and so does a
 * failure to create the model. The threads stay the caller's.
 */
final class CpuModelFactory {
    private CpuModelFactory() {
    }

    static LanguageModel create(ModelFile file, CpuThreads threads, Optional<KvBudget> kvBudget) {
        return CpuLlamaModel.load(file, threads, kvBudget.orElse(CpuLlamaModel.DEFAULT_KV_BUDGET),
                KvLayout.DEFAULT_BLOCK_SIZE);
    }
}
