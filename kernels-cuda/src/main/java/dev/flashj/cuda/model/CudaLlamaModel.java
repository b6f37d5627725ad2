package dev.flashj.cuda.model;

import dev.flashj.FlashjException;
import dev.flashj.backend.Availability;
import dev.flashj.cuda.CudaDeviceSelector;
import dev.flashj.cuda.CudaKernelImage;
import dev.flashj.cuda.CudaSupport;
import dev.flashj.cuda.runtime.Cuda;
import dev.flashj.cuda.runtime.CudaContext;
import dev.flashj.cuda.runtime.CudaDevice;
import dev.flashj.cuda.runtime.CudaModule;
import dev.flashj.cuda.runtime.CudaStream;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelSession;
import dev.flashj.tokenizer.Tokenizer;

import java.util.List;

/**
 * A LLaMA-family model running entirely on an NVIDIA GPU: weights uploaded once at load (fp16, or
 * bf16 for BF16 files), each {@link ModelSession} with its own stream, activations and KV cache.
 * Thread-safe: sessions share only the read-only weights and the kernel module. The {@link ModelFile}
 * stays the caller's (the model keeps its tokenizer but none of its memory).
 */
public final class CudaLlamaModel implements LanguageModel {
    private final Cuda cuda;
    private final CudaContext context;
    private final CudaModule module;
    private final LlamaConfig config;
    private final Tokenizer tokenizer;
    private final CudaWeights weights;
    private final boolean decodeGraphs;

    /** System property: "false" launches every decode kernel directly instead of replaying a CUDA graph. */
    public static final String DECODE_GRAPHS_PROPERTY = "flashj.cuda.graphs";

    private CudaLlamaModel(Cuda cuda, CudaContext context, CudaModule module, LlamaConfig config, Tokenizer tokenizer,
                           CudaWeights weights, boolean decodeGraphs) {
        this.cuda = cuda;
        this.context = context;
        this.module = module;
        this.config = config;
        this.tokenizer = tokenizer;
        this.weights = weights;
        this.decodeGraphs = decodeGraphs;
    }

    /** {@value #DECODE_GRAPHS_PROPERTY}: "true" (the default) or "false"; anything else is an error naming it. */
    static boolean decodeGraphsFromProperty() {
        String value = System.getProperty(DECODE_GRAPHS_PROPERTY, "true").trim();
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new FlashjException("-D" + DECODE_GRAPHS_PROPERTY + "=" + value + ": expected true or false");
    }

    /**
     * Loads {@code file}'s weights onto the GPU {@code selector} names.
     *
     * @throws FlashjException when CUDA, its kernels or the device are unavailable, a weight is missing or
     *                         misshapen, or the model does not fit the GPU
     */
    public static CudaLlamaModel load(ModelFile file, CudaDeviceSelector selector) {
        LlamaConfig c = file.config();
        if (c.numKvHeads() <= 0 || c.numHeads() % c.numKvHeads() != 0) {
            throw FlashjException.badFile(file.path(), "numKvHeads", c.numKvHeads() + " does not divide numHeads " + c.numHeads());
        }
        if (c.rope().rotaryDims() > c.headDim() || c.rope().rotaryDims() % 2 != 0) {
            throw FlashjException.badFile(file.path(), "rope dimensions", c.rope().rotaryDims()
                    + " is odd or larger than the head size " + c.headDim());
        }
        if (c.headDim() > 256) {
            throw FlashjException.badFile(file.path(), "head dimension", c.headDim() + " exceeds the CUDA kernels' 256");
        }
        boolean decodeGraphs = decodeGraphsFromProperty();
        CudaKernelImage kernels = CudaKernelImage.fromClassPath();
        byte[] fatbin = kernels.fatbin().orElseThrow(() -> new FlashjException("the cuda backend is not available: "
                + kernels.reason()));
        Cuda cuda = Cuda.open();
        CudaContext context = null;
        CudaModule module = null;
        try {
            CudaDevice device = cuda.device(selector.ordinal());
            Availability verdict = CudaSupport.judge(kernels, cuda.driverVersion(), List.of(device));
            if (!verdict.available()) {
                throw new FlashjException("the cuda backend cannot use " + device.describe() + ": " + verdict.reason());
            }
            context = cuda.openContext(device);
            module = context.loadModule(fatbin, "flashj-kernels.fatbin");
            CudaWeights weights;
            try (CudaStream stream = context.createStream()) {
                weights = CudaWeights.upload(file, context, stream);
            }
            return new CudaLlamaModel(cuda, context, module, c, file.tokenizer(), weights, decodeGraphs);
        } catch (RuntimeException e) {
            if (module != null) {
                module.close();
            }
            if (context != null) {
                context.close();
            }
            cuda.close();
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

    /** "cuda:0 NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB), fp16, 12 MiB of weights, decode as a CUDA graph". */
    @Override
    public String deviceDescription() {
        return context.device().describe() + ", " + weights.storage.suffix() + ", " + (weights.deviceBytes >> 20)
                + " MiB of weights" + (weights.quantizedMatrices > 0 ? " (" + weights.quantizedMatrices + " matrices kept quantized)" : "")
                + (decodeGraphs ? ", decode as a CUDA graph" : ", decode without CUDA graphs");
    }

    @Override
    public ModelSession newSession(int maxTokens) {
        return newSession(maxTokens, decodeGraphs);
    }

    /** A session that decodes through a CUDA graph or not, whatever the model's default (for comparing the two). */
    ModelSession newSession(int maxTokens, boolean decodeGraphs) {
        if (maxTokens <= 0 || maxTokens > config.contextLength()) {
            throw new FlashjException("maxTokens " + maxTokens + " outside 1.." + config.contextLength()
                    + " (the model's context length)");
        }
        context.makeCurrent();
        return new CudaLlamaSession(context, module, config, weights, maxTokens, decodeGraphs);
    }

    @Override
    public void close() {
        context.makeCurrent();
        weights.close();
        module.close();
        context.close();
        cuda.close();
    }
}
