package dev.flashj.opencl.model;

import dev.flashj.FlashjException;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelSession;
import dev.flashj.opencl.OpenClDeviceSelector;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClDevice;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.opencl.runtime.OpenCl;
import dev.flashj.tokenizer.Tokenizer;

/**
 * A LLaMA-family model running entirely on an OpenCL device: weights uploaded once at load,
 * each {@link ModelSession} with its own queue, activations and KV cache in device buffers.
 * Thread-safe: sessions share only the read-only weights and the context's program cache.
 * The {@link ModelFile} stays the caller's (the model keeps its tokenizer but none of its memory).
 */
public final class OpenClLlamaModel implements LanguageModel {
    private final OpenCl cl;
    private final ClContext context;
    private final LlamaConfig config;
    private final Tokenizer tokenizer;
    private final OpenClWeights weights;

    private OpenClLlamaModel(OpenCl cl, ClContext context, LlamaConfig config, Tokenizer tokenizer, OpenClWeights weights) {
        this.cl = cl;
        this.context = context;
        this.config = config;
        this.tokenizer = tokenizer;
        this.weights = weights;
    }

    /**
     * Loads {@code file}'s weights onto the device {@code selector} names ({@code opencl} or
     * {@code opencl:P:D}).
     *
     * @throws FlashjException when OpenCL or the device is unavailable, a weight is missing or
     *                         misshapen, or the model does not fit the device
     */
    public static OpenClLlamaModel load(ModelFile file, OpenClDeviceSelector selector) {
        LlamaConfig c = file.config();
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
            return new OpenClLlamaModel(cl, context, c, file.tokenizer(), weights);
        } catch (RuntimeException e) {
            if (context != null) {
                context.close();
            }
            cl.close();
            throw e;
        }
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
        if (maxTokens <= 0 || maxTokens > config.contextLength()) {
            throw new FlashjException("maxTokens " + maxTokens + " outside 1.." + config.contextLength()
                    + " (the model's context length)");
        }
        return new OpenClLlamaSession(context, config, weights, maxTokens);
    }

    @Override
    public void close() {
        weights.close();
        context.close();
        cl.close();
    }
}
