package dev.flashj.opencl.model;

import dev.flashj.FlashjException;
import dev.flashj.kv.BlockPool;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.kv.KvBudget;
import dev.flashj.kv.KvLayout;
import dev.flashj.model.BatchDecoder;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelSession;
import dev.flashj.opencl.OpenClDeviceSelector;
import dev.flashj.opencl.kv.OpenClKvStorage;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClDevice;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.opencl.runtime.OpenCl;
import dev.flashj.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A LLaMA-family model running entirely on an OpenCL device: weights uploaded once at load, a paged
 * KV cache whose blocks live in device memory ({@link OpenClKvStorage}) and whose bookkeeping (one
 * {@link BlockPool}, shared by every session for prefix sharing) stays on the host, and each
 * {@link ModelSession} with its own queue, activations and block tables. Thread-safe: sessions share
 * the read-only weights, the context's program cache and the synchronized pool.
 * The {@link ModelFile} stays the caller's (the model keeps its tokenizer but none of its memory).
 */
public final class OpenClLlamaModel implements LanguageModel {
    private final OpenCl cl;
    private final ClContext context;
    private final LlamaConfig config;
    private final Tokenizer tokenizer;
    private final OpenClWeights weights;
    private final BlockPool kvPool;
    private final List<OpenClBatchDecoder> batchDecoders = new ArrayList<>(); // freed at close
    private volatile boolean closed;

    private OpenClLlamaModel(OpenCl cl, ClContext context, LlamaConfig config, Tokenizer tokenizer, OpenClWeights weights,
                             BlockPool kvPool) {
        this.cl = cl;
        this.context = context;
        this.config = config;
        this.tokenizer = tokenizer;
        this.weights = weights;
        this.kvPool = kvPool;
    }

    /**
     * Loads {@code file}'s weights onto the device {@code selector} names ({@code opencl} or
     * {@code opencl:P:D}).
     *
     * @throws FlashjException when OpenCL or the device is unavailable, a weight is missing or
     *                         misshapen, or the model does not fit the device
     */
    public static OpenClLlamaModel load(ModelFile file, OpenClDeviceSelector selector) {
        return load(file, selector, null, KvLayout.DEFAULT_BLOCK_SIZE);
    }

    /**
     * {@link #load(ModelFile, OpenClDeviceSelector)} with the KV cache's budget (shared by all sessions;
     * null: {@link #defaultKvBlocks}) and block size in tokens.
     */
    public static OpenClLlamaModel load(ModelFile file, OpenClDeviceSelector selector, KvBudget kvBudget, int blockSize) {
        LlamaConfig c = file.config();
        if (blockSize <= 0) {
            throw new FlashjException("KV block size must be positive, got " + blockSize);
        }
        if (c.numKvHeads() <= 0 || c.numHeads() % c.numKvHeads() != 0) {
            throw FlashjException.badFile(file.path(), "numKvHeads", c.numKvHeads() + " does not divide numHeads " + c.numHeads());
        }
        if (c.rope().rotaryDims() > c.headDim() || c.rope().rotaryDims() % 2 != 0) {
            throw FlashjException.badFile(file.path(), "rope dimensions", c.rope().rotaryDims()
                    + " is odd or larger than the head size " + c.headDim());
        }
        OpenCl cl = OpenCl.open();
        ClContext context = null;
        try {
            ClDevice device = selector.select(cl);
            context = cl.createContext(device);
            OpenClWeights weights;
            try (ClQueue queue = context.createQueue()) {
                weights = OpenClWeights.upload(file, context, queue);
            }
            BlockPool pool;
            try {
                KvLayout layout = new KvLayout(c.numLayers(), c.numKvHeads(), c.headDim(), blockSize);
                int blocks = kvBudget == null ? defaultKvBlocks(device, layout, c.contextLength()) : kvBudget.blocks(layout);
                ClContext ctx = context;
                pool = new BlockPool(layout, blocks, capacity -> new OpenClKvStorage(ctx, layout, capacity));
            } catch (RuntimeException e) {
                weights.close();
                throw e;
            }
            return new OpenClLlamaModel(cl, context, c, file.tokenizer(), weights, pool);
        } catch (RuntimeException e) {
            if (context != null) {
                context.close();
            }
            cl.close();
            throw e;
        }
    }

    /**
     * Blocks of the default KV budget: room for four full-context sequences, within a quarter of the
     * device's memory and its largest buffer.
     */
    static int defaultKvBlocks(ClDevice device, KvLayout layout, int contextLength) {
        long wanted = 4L * layout.blocksFor(contextLength) * layout.numLayers();
        long byMemory = device.globalMemSize() / 4 / layout.bytesPerBlock();
        long byBuffer = device.maxAllocSize() / ((long) layout.floatsPerBlock() * Float.BYTES);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.min(wanted, Math.min(byMemory, byBuffer))));
    }

    /** The paged KV cache all sessions of this model share. */
    public BlockPool kvPool() {
        return kvPool;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** "opencl:0:0 NAME (GPU, VENDOR), 12 MiB of weights". */
    @Override
    public String deviceDescription() {
        return context.device().describe() + ", " + (weights.deviceBytes >> 20) + " MiB of weights";
    }

    /** The device the model runs on. */
    public ClDevice device() {
        return context.device();
    }

    @Override
    public ModelSession newSession(int maxTokens) {
        return newSession(maxTokens, new EvictionPolicy.None());
    }

    /** A session whose KV cache follows {@code policy}, as on the CPU backend. */
    @Override
    public ModelSession newSession(int maxTokens, EvictionPolicy policy) {
        if (closed) {
            throw new FlashjException("the model is closed");
        }
        if (maxTokens <= 0 || maxTokens > config.contextLength()) {
            throw new FlashjException("maxTokens " + maxTokens + " outside 1.." + config.contextLength()
                    + " (the model's context length)");
        }
        return new OpenClLlamaSession(this, context, config, weights, maxTokens, policy);
    }

    /**
     * Steps up to {@code maxBatch} sessions of this model together (see {@link OpenClBatchDecoder}); its
     * device buffers are freed when the model closes.
     */
    @Override
    public synchronized Optional<BatchDecoder> newBatchDecoder(int maxBatch) {
        if (closed) {
            throw new FlashjException("the model is closed");
        }
        OpenClBatchDecoder decoder = new OpenClBatchDecoder(this, context, weights, maxBatch);
        batchDecoders.add(decoder);
        return Optional.of(decoder);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            batchDecoders.forEach(OpenClBatchDecoder::close);
            batchDecoders.clear();
        }
        kvPool.close();
        weights.close();
        context.close();
        cl.close();
    }
}
