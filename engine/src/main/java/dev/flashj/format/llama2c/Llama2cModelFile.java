package dev.flashj.format.llama2c;

import dev.flashj.FlashjException;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import dev.flashj.tokenizer.Tokenizer;
import dev.flashj.tokenizer.TokenizerLoader;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * A llama2.c legacy checkpoint ({@code run.c}'s format): a 7-int header, then F32 arrays with every
 * layer's copy of a weight stacked together. Each layer's weight is exposed as a slice under its
 * canonical name. Q/K rows are in Meta's interleaved order, hence {@link RopeStyle#INTERLEAVED}.
 */
public final class Llama2cModelFile implements ModelFile {

    /** run.c's fixed hyper-parameters, which the format does not store. */
    private static final float ROPE_THETA = 10000f;
    private static final float RMS_NORM_EPS = 1e-5f;

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final Llama2cHeader header;
    private final LlamaConfig config;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName;
    private final Map<String, Object> metadata;
    private final Tokenizer tokenizer;
    private boolean closed;

    private Llama2cModelFile(Path path, Arena arena, Llama2cHeader header, List<Tensor> tensors,
                             Map<String, Object> metadata, Function<LlamaConfig, Tokenizer> tokenizerFactory) {
        this.path = path;
        this.arena = arena;
        this.header = header;
        this.config = configOf(header);
        this.tensors = List.copyOf(tensors);
        Map<String, Tensor> map = new LinkedHashMap<>();
        for (Tensor t : tensors) {
            map.put(t.name(), t);
        }
        this.byName = Collections.unmodifiableMap(map);
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tokenizer = tokenizerFactory.apply(config);
    }

    /** Opens a checkpoint with its llama2.c {@code tokenizer.bin}. */
    public static ModelFile open(Path checkpoint, Path tokenizer) {
        return open(checkpoint, config -> TokenizerLoader.load(tokenizer, config.vocabSize()));
    }

    /** Opens a checkpoint with the tokenizer the given function builds from the config. */
    static Llama2cModelFile open(Path checkpoint, Function<LlamaConfig, Tokenizer> tokenizerFactory) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file;
            try (FileChannel channel = FileChannel.open(checkpoint, StandardOpenOption.READ)) {
                file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            }
            if (file.byteSize() < Llama2cHeader.BYTES) {
                throw FlashjException.badFile(checkpoint, "header", "file is " + file.byteSize()
                        + " bytes, shorter than the " + Llama2cHeader.BYTES + "-byte llama2.c header");
            }
            int[] raw = new int[7];
            for (int i = 0; i < raw.length; i++) {
                raw[i] = file.get(INT_LE, (long) i * Integer.BYTES);
            }
            Llama2cHeader header = Llama2cHeader.of(checkpoint, raw);
            List<Tensor> tensors = new Slicer(checkpoint, file, header).sliceAll();
            return new Llama2cModelFile(checkpoint, arena, header, tensors, metadataOf(header), tokenizerFactory);
        } catch (IOException e) {
            arena.close();
            throw new FlashjException(checkpoint + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static LlamaConfig configOf(Llama2cHeader h) {
        RopeConfig rope = new RopeConfig(ROPE_THETA, new RopeScaling.None(), RopeStyle.INTERLEAVED, h.headSize());
        return new LlamaConfig(h.dim(), h.hiddenDim(), h.numLayers(), h.numHeads(), h.numKvHeads(), h.headSize(),
                h.vocabSize(), h.seqLen(), RMS_NORM_EPS, rope, h.sharedClassifier(), false);
    }

    private static Map<String, Object> metadataOf(Llama2cHeader h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dim", h.dim());
        m.put("hidden_dim", h.hiddenDim());
        m.put("n_layers", h.numLayers());
        m.put("n_heads", h.numHeads());
        m.put("n_kv_heads", h.numKvHeads());
        m.put("vocab_size", h.vocabSize());
        m.put("shared_classifier", h.sharedClassifier());
        m.put("seq_len", h.seqLen());
        return m;
    }

    /**
     * Cuts the data after the header into tensors, in file order. Sizes are computed with overflow
     * checks and the total checked against the file before any slice is taken.
     */
    private record Slicer(Path file, MemorySegment segment, Llama2cHeader h) {

        /** One array of the file: {@code count} copies (one per layer, or 1) of a [rows, cols] matrix. */
        private record Block(String what, int count, long rows, long cols, IntFunction<String> name) {
        }

        List<Tensor> sliceAll() {
            long dim = h.dim();
            long hidden = h.hiddenDim();
            long kvDim = h.kvDim();
            long vocab = h.vocabSize();
            int layers = h.numLayers();
            List<Block> blocks = new ArrayList<>(List.of(
                    new Block("token_embedding_table", 1, vocab, dim, l -> LlamaTensorNames.TOKEN_EMBEDDING),
                    new Block("rms_att_weight", layers, 1, dim, LlamaTensorNames::attentionNorm),
                    new Block("wq", layers, dim, dim, LlamaTensorNames::query),
                    new Block("wk", layers, kvDim, dim, LlamaTensorNames::key),
                    new Block("wv", layers, kvDim, dim, LlamaTensorNames::value),
                    new Block("wo", layers, dim, dim, LlamaTensorNames::attentionOutput),
                    new Block("rms_ffn_weight", layers, 1, dim, LlamaTensorNames::ffnNorm),
                    new Block("w1", layers, hidden, dim, LlamaTensorNames::ffnGate),
                    new Block("w2", layers, dim, hidden, LlamaTensorNames::ffnDown),
                    new Block("w3", layers, hidden, dim, LlamaTensorNames::ffnUp),
                    new Block("rms_final_weight", 1, 1, dim, l -> LlamaTensorNames.OUTPUT_NORM),
                    new Block("freq_cis_real", 1, h.seqLen(), h.headSize() / 2, l -> "freq_cis_real"),
                    new Block("freq_cis_imag", 1, h.seqLen(), h.headSize() / 2, l -> "freq_cis_imag")));
            if (!h.sharedClassifier()) {
                blocks.add(new Block("wcls", 1, vocab, dim, l -> LlamaTensorNames.OUTPUT));
            }
            checkTotalSize(blocks);
            List<Tensor> tensors = new ArrayList<>();
            long offset = Llama2cHeader.BYTES;
            for (Block b : blocks) {
                long bytes = b.rows() * b.cols() * Float.BYTES;
                for (int i = 0; i < b.count(); i++) {
                    long[] shape = b.rows() == 1 ? new long[]{b.cols()} : new long[]{b.rows(), b.cols()};
                    tensors.add(new Tensor(b.name().apply(i), TensorType.F32, shape, segment.asSlice(offset, bytes)));
                    offset += bytes;
                }
            }
            return tensors;
        }

        private void checkTotalSize(List<Block> blocks) {
            long total = Llama2cHeader.BYTES;
            try {
                for (Block b : blocks) {
                    long bytes = Math.multiplyExact(Math.multiplyExact(b.rows(), b.cols()), (long) Float.BYTES);
                    total = Math.addExact(total, Math.multiplyExact(bytes, (long) b.count()));
                }
            } catch (ArithmeticException e) {
                throw FlashjException.badFile(file, "header", "weight sizes overflow; header values are not sane");
            }
            if (total > segment.byteSize()) {
                throw FlashjException.badFile(file, "weights", "header needs " + total + " bytes, file has "
                        + segment.byteSize() + " (truncated, or header values wrong)");
            }
        }
    }

    /** The validated header. */
    public Llama2cHeader header() {
        return header;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public ModelFormat format() {
        return ModelFormat.LLAMA2C;
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
        return tokenizer;
    }

    /**
     * Every array in file order, one tensor per layer, under canonical names; the RoPE tables run.c
     * no longer reads are included as {@code freq_cis_real}/{@code freq_cis_imag}.
     */
    @Override
    public List<Tensor> tensors() {
        return tensors;
    }

    @Override
    public Optional<Tensor> weight(String canonicalName) {
        return Optional.ofNullable(byName.get(canonicalName));
    }

    @Override
    public Map<String, Object> metadata() {
        return metadata;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
