package dev.flashj.model.cpu;

import dev.flashj.FlashjException;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.Ops;
import dev.flashj.cpu.RopeTable;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.tokenizer.Tokenizer;

/**
 * The LLaMA family on the CPU: the reference forward pass other backends are compared with.
 * Weight matrices are read in place from the mapped file; sessions hold activations and the KV cache.
 * Thread-safe: sessions may be created from any thread (each session is driven by one thread).
 */
public final class CpuLlamaModel implements LanguageModel {
    /** Longest batch one forward step processes; longer prompts are fed in chunks of this size. */
    public static final int MAX_PREFILL_CHUNK = 256;

    private final ModelFile file;
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final RopeTable rope;
    private final CpuThreads threads;
    private volatile boolean closed;

    private CpuLlamaModel(ModelFile file, LlamaWeights weights, RopeTable rope, CpuThreads threads) {
        this.file = file;
        this.config = file.config();
        this.weights = weights;
        this.rope = rope;
        this.threads = threads;
    }

    /**
     * Binds the weights of {@code file} and precomputes the RoPE tables for its context length. The model
     * takes ownership of the file: closing the model closes it, and so does a failure to load (so
     * {@code load(ModelLoader.open(path, tok), threads)} leaks nothing). {@code threads} stays the caller's.
     */
    public static CpuLlamaModel load(ModelFile file, CpuThreads threads) {
        try {
            validate(file);
            LlamaWeights weights = LlamaWeights.bind(file);
            RopeTable rope = RopeTable.create(file.config().rope(), file.config().contextLength());
            return new CpuLlamaModel(file, weights, rope, threads);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    private static void validate(ModelFile file) {
        LlamaConfig c = file.config();
        String problem = null;
        if (c.dim() <= 0 || c.hiddenDim() <= 0 || c.numLayers() <= 0 || c.headDim() <= 0 || c.vocabSize() <= 0
                || c.contextLength() <= 0) {
            problem = "sizes must be positive";
        } else if (c.numHeads() <= 0 || c.numKvHeads() <= 0 || c.numHeads() % c.numKvHeads() != 0) {
            problem = "heads (" + c.numHeads() + ") must be a positive multiple of KV heads (" + c.numKvHeads() + ")";
        } else if (c.rope().rotaryDims() <= 0 || c.rope().rotaryDims() % 2 != 0 || c.rope().rotaryDims() > c.headDim()) {
            problem = "rotary dims " + c.rope().rotaryDims() + " must be even and in [2, headDim " + c.headDim() + "]";
        } else if (!(c.rmsNormEps() >= 0)) {
            problem = "RMSNorm epsilon must be >= 0, got " + c.rmsNormEps();
        } else if ((long) c.numHeads() * c.headDim() * MAX_PREFILL_CHUNK > Integer.MAX_VALUE
                || (long) c.hiddenDim() * MAX_PREFILL_CHUNK > Integer.MAX_VALUE) {
            problem = "sizes too large for the CPU backend";
        }
        if (problem != null) {
            throw FlashjException.badFile(file.path(), "config", problem + " (" + c + ")");
        }
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return file.tokenizer();
    }

    @Override
    public String deviceDescription() {
        return "cpu (" + threads.size() + " thread" + (threads.size() == 1 ? "" : "s") + ", "
                + Ops.vectorBits() + "-bit vectors)";
    }

    @Override
    public CpuLlamaSession newSession(int maxTokens) {
        if (closed) {
            throw new FlashjException("the model " + file.path() + " is closed");
        }
        if (maxTokens <= 0 || maxTokens > config.contextLength()) {
            throw new FlashjException("session size " + maxTokens + " must be in [1, " + config.contextLength()
                    + "] (the model's context length)");
        }
        return new CpuLlamaSession(this, maxTokens);
    }

    LlamaWeights weights() {
        return weights;
    }

    RopeTable rope() {
        return rope;
    }

    CpuThreads threads() {
        return threads;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            file.close();
        }
    }
}
