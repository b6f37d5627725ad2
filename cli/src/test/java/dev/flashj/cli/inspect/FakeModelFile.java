package dev.flashj.cli.inspect;

import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import dev.flashj.tokenizer.Tokenizer;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A hand-built model for testing inspect without any format reader: tensors live in a confined arena. */
final class FakeModelFile implements ModelFile {
    private final Arena arena = Arena.ofConfined();
    private final LlamaConfig config;
    private final Map<String, Object> metadata;
    private final List<Tensor> tensors = new ArrayList<>();
    private boolean closed;

    FakeModelFile(LlamaConfig config, Map<String, Object> metadata) {
        this.config = config;
        this.metadata = metadata;
    }

    /** Adds a tensor of {@code type} and {@code shape}; its byte size comes from the type's block layout. */
    FakeModelFile add(String name, TensorType type, long... shape) {
        long elements = 1;
        for (long d : shape) {
            elements *= d;
        }
        tensors.add(new Tensor(name, type, shape, arena.allocate(type.bytesFor(elements))));
        return this;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public Path path() {
        return Path.of("/models/fake.gguf");
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
        return new FakeTokenizer();
    }

    @Override
    public List<Tensor> tensors() {
        return List.copyOf(tensors);
    }

    @Override
    public Optional<Tensor> weight(String canonicalName) {
        return Optional.empty();
    }

    @Override
    public Map<String, Object> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        closed = true;
        arena.close();
    }

    /** Only what inspect displays is implemented. */
    private static final class FakeTokenizer implements Tokenizer {
        @Override
        public int vocabSize() {
            return 40;
        }

        @Override
        public int[] encode(String text, boolean addBos, boolean parseSpecial) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String decode(int[] ids) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String piece(int id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int bosId() {
            return 1;
        }

        @Override
        public int eosId() {
            return 2;
        }

        @Override
        public boolean addBosByDefault() {
            return true;
        }

        @Override
        public boolean isEndOfGeneration(int id) {
            return id == 2;
        }

        @Override
        public StreamDecoder newStreamDecoder() {
            throw new UnsupportedOperationException();
        }

        @Override
        public String describe() {
            return "fake BPE, 40 tokens, BOS 1, EOS 2";
        }
    }
}
