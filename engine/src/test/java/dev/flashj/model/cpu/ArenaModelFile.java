package dev.flashj.model.cpu;

import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import dev.flashj.tokenizer.Tokenizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Test fixture: a ModelFile whose F32 tensors live in an Arena instead of a mapped file. */
final class ArenaModelFile implements ModelFile {
    private final Arena arena = Arena.ofShared();
    private final LlamaConfig config;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    /** @param weights name to (shape, values) */
    ArenaModelFile(LlamaConfig config, Map<String, TinyLlama.Weight> weights) {
        this.config = config;
        for (var e : weights.entrySet()) {
            float[] values = e.getValue().values();
            MemorySegment seg = arena.allocate((long) values.length * 4, 64);
            MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
            tensors.put(e.getKey(), new Tensor(e.getKey(), TensorType.F32, e.getValue().shape(), seg));
        }
    }

    @Override
    public Path path() {
        return Path.of("test-model-in-memory");
    }

    @Override
    public ModelFormat format() {
        return ModelFormat.GGUF;
    }

    @Override
    public String architecture() {
        return "llama";
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return null;
    }

    @Override
    public List<Tensor> tensors() {
        return new ArrayList<>(tensors.values());
    }

    @Override
    public Optional<Tensor> weight(String canonicalName) {
        return Optional.ofNullable(tensors.get(canonicalName));
    }

    @Override
    public Map<String, Object> metadata() {
        return Map.of();
    }

    @Override
    public void close() {
        arena.close();
    }
}
