package dev.flashj.model.cpu;

import dev.flashj.FlashjException;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.HugePageArena;
import dev.flashj.cpu.Ops;
import dev.flashj.cpu.RopeTable;
import dev.flashj.kv.BlockPool;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.kv.KvBudget;
import dev.flashj.kv.KvLayout;
import dev.flashj.model.BatchDecoder;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.tokenizer.Tokenizer;

import java.lang.foreign.Arena;
import java.util.Optional;

/**
 * The LLaMA family on the CPU: the reference forward pass other backends are compared with.
 * Weight matrices are repacked for a faster kernel where one exists ({@link dev.flashj.cpu.CpuMatrix}),
 * otherwise read as the file stores them; by default both live in huge pages ({@link WeightMemory}).
 * The model owns the paged KV {@link BlockPool}
 * its sessions draw on (so sessions with a common prompt prefix share its blocks), and sessions hold
 * activations and their block tables.
 * Thread-safe: sessions may be created from any thread (each session is driven by one thread).
 */
public final class CpuLlamaModel implements LanguageModel {
    /** Longest batch one forward step processes; longer prompts are fed in chunks of this size. */
    public static final int MAX_PREFILL_CHUNK = 256;
    /** The KV budget of {@link #load(ModelFile, CpuThreads)}: half the heap free at load time (allocated lazily). */
    public static final KvBudget DEFAULT_KV_BUDGET = KvBudget.fractionOfFreeHeap(0.5);

    private final ModelFile file;
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final RopeTable rope;
    private final CpuThreads threads;
    private final BlockPool kvPool;
    /** Holds the weight matrices the model copied or repacked at load; closed with the model. */
    private final Arena weightMemory;
    private volatile boolean closed;

    private CpuLlamaModel(ModelFile file, LlamaWeights weights, RopeTable rope, CpuThreads threads, BlockPool kvPool,
                          Arena weightMemory) {
        this.file = file;
        this.weightMemory = weightMemory;
        this.config = file.config();
        this.weights = weights;
        this.rope = rope;
        this.threads = threads;
        this.kvPool = kvPool;
    }

    /**
     * Binds the weights of {@code file} and precomputes the RoPE tables for its context length. The model
     * takes ownership of the file: closing the model closes it, and so does a failure to load (so
     * {@code load(ModelLoader.open(path, tok), threads)} leaks nothing). {@code threads} stays the caller's.
     */
    public static CpuLlamaModel load(ModelFile file, CpuThreads threads) {
        return load(file, threads, DEFAULT_KV_BUDGET, KvLayout.DEFAULT_BLOCK_SIZE);
    }

    /**
     * {@link #load(ModelFile, CpuThreads)} with the KV cache's memory budget (shared by all sessions) and
     * block size in tokens.
     */
    public static CpuLlamaModel load(ModelFile file, CpuThreads threads, KvBudget kvBudget, int blockSize) {
        return load(file, threads, kvBudget, blockSize, WeightMemory.HUGE_PAGES);
    }

    /**
     * {@link #load(ModelFile, CpuThreads, KvBudget, int)} with the choice of where the weight matrices
     * are read from ({@link WeightMemory#HUGE_PAGES} by default).
     */
    public static CpuLlamaModel load(ModelFile file, CpuThreads threads, KvBudget kvBudget, int blockSize,
                                     WeightMemory placement) {
        Arena weightMemory = null;
        try {
            validate(file);
            if (blockSize <= 0) {
                throw new FlashjException("KV block size must be positive, got " + blockSize);
            }
            // Repacked matrices go straight into the huge pages; 1.6 times the file's bytes leaves room
            // for repacked layouts that are larger (Q6_K's is 1.52x; reserved, not touched, if unused).
            // Where memory allows with a quarter to spare, the file tensors of repacked matrices get a copy
            // there too: prefill multiplies them in place, 15-25% faster than through the file's 4 KiB pages.
            long decodeBytes = LlamaWeights.matrixBytes(file) / 5 * 8 + (64L << 20);
            long repackedBytes = LlamaWeights.repackedBytes(file);
            long prefillBytes = decodeBytes + repackedBytes + (64L << 20);
            Optional<HugePageArena> hugePages = placement == WeightMemory.HUGE_PAGES
                    ? HugePageArena.open(prefillBytes, 0.75).or(() -> HugePageArena.open(decodeBytes))
                    : Optional.empty();
            weightMemory = hugePages.<Arena>map(a -> a).orElseGet(Arena::ofShared);
            LlamaWeights bound = LlamaWeights.bind(file, weightMemory);
            LlamaWeights weights = hugePages
                    .map(h -> bound.withMatricesIn(h, repackedBytes > 0 && h.capacity() >= prefillBytes))
                    .orElse(bound);
            RopeTable rope = RopeTable.create(file.config().rope(), file.config().contextLength());
            LlamaConfig c = file.config();
            BlockPool pool = new BlockPool(new KvLayout(c.numLayers(), c.numKvHeads(), c.headDim(), blockSize), kvBudget);
            return new CpuLlamaModel(file, weights, rope, threads, pool, weightMemory);
        } catch (RuntimeException | Error e) {
            if (weightMemory != null) {
                weightMemory.close();
            }
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
        return newSession(maxTokens, new EvictionPolicy.None());
    }

    /** A session whose KV cache follows {@code policy} (see {@link CpuLlamaSession}). */
    @Override
    public CpuLlamaSession newSession(int maxTokens, EvictionPolicy policy) {
        if (closed) {
            throw new FlashjException("the model " + file.path() + " is closed");
        }
        if (maxTokens <= 0 || maxTokens > config.contextLength()) {
            throw new FlashjException("session size " + maxTokens + " must be in [1, " + config.contextLength()
                    + "] (the model's context length)");
        }
        return new CpuLlamaSession(this, maxTokens, policy);
    }

    /** Steps up to {@code maxBatch} sessions of this model together (see {@link CpuBatchDecoder}). */
    @Override
    public Optional<BatchDecoder> newBatchDecoder(int maxBatch) {
        if (closed) {
            throw new FlashjException("the model " + file.path() + " is closed");
        }
        return Optional.of(new CpuBatchDecoder(this, maxBatch));
    }

    LlamaWeights weights() {
        return weights;
    }

    /** The paged KV cache all sessions of this model share. */
    public BlockPool kvPool() {
        return kvPool;
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
            weightMemory.close();
        }
    }
}
