package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.kv.KvBudget;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link Flashj#load(Path, LoadOptions)} opens a model. Start from {@link #defaults()} and
 * change what you need: {@code LoadOptions.defaults().withThreads(4)}.
 *
 * @param device        the backend; {@link Device#AUTO} picks one
 * @param deviceAddress which of the backend's devices: "" for its default, "P:D" for OpenCL platform P
 *                      device D
 * @param threads       CPU worker threads; 0 = one per available processor
 * @param contextLength the most tokens (prompt plus generated) a session holds; 0 = the model's own
 *                      context length capped at {@value #DEFAULT_CONTEXT_CAP} (each session allocates a KV
 *                      cache of this size); larger than the model's own is reduced to it
 * @param tokenizer     a separate tokenizer file (required for llama2.c checkpoints, ignored for GGUF)
 * @param kvBudget      memory for the KV cache all sessions of the model share (CPU backend); empty = half
 *                      the heap free at load time
 * @param maxBatch      the most sequences {@link Model#submit} decodes together; 0 = {@value #DEFAULT_MAX_BATCH}
 */
public record LoadOptions(Device device, String deviceAddress, int threads, int contextLength, Optional<Path> tokenizer,
                          Optional<KvBudget> kvBudget, int maxBatch) {

    /** The default context cap when {@code contextLength} is 0, like llama.cpp's default n_ctx. */
    public static final int DEFAULT_CONTEXT_CAP = 4096;

    /** Sequences decoded together when {@code maxBatch} is 0. */
    public static final int DEFAULT_MAX_BATCH = 16;

    public LoadOptions {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(deviceAddress, "deviceAddress");
        if (!deviceAddress.isEmpty() && device != Device.OPENCL && device != Device.CUDA) {
            throw new FlashjException("device address '" + deviceAddress + "' is only supported for cuda (cuda:N) and"
                    + " opencl (opencl:P:D)");
        }
        Objects.requireNonNull(tokenizer, "tokenizer");
        if (threads < 0) {
            throw new FlashjException("threads must be >= 0 (0 = all processors), was " + threads);
        }
        if (contextLength < 0) {
            throw new FlashjException("contextLength must be >= 0 (0 = the model's), was " + contextLength);
        }
        Objects.requireNonNull(kvBudget, "kvBudget");
        if (maxBatch < 0) {
            throw new FlashjException("maxBatch must be >= 0 (0 = " + DEFAULT_MAX_BATCH + "), was " + maxBatch);
        }
    }

    /** Options with the default KV budget and batch size. */
    public LoadOptions(Device device, String deviceAddress, int threads, int contextLength, Optional<Path> tokenizer) {
        this(device, deviceAddress, threads, contextLength, tokenizer, Optional.empty(), 0);
    }

    /** AUTO device, all processors, the model's context (capped), no separate tokenizer. */
    public static LoadOptions defaults() {
        return new LoadOptions(Device.AUTO, "", 0, 0, Optional.empty());
    }

    public LoadOptions withDevice(Device value) {
        return new LoadOptions(value, "", threads, contextLength, tokenizer, kvBudget, maxBatch);
    }

    /** A backend and one of its devices, e.g. {@code withDevice(Device.OPENCL, "0:1")}. */
    public LoadOptions withDevice(Device value, String address) {
        return new LoadOptions(value, address, threads, contextLength, tokenizer, kvBudget, maxBatch);
    }

    /** The device as the command line spells it: "opencl", "opencl:0:1", "cpu". */
    public String deviceOption() {
        return deviceAddress.isEmpty() ? device.cliName() : device.cliName() + ":" + deviceAddress;
    }

    public LoadOptions withThreads(int value) {
        return new LoadOptions(device, deviceAddress, value, contextLength, tokenizer, kvBudget, maxBatch);
    }

    public LoadOptions withContextLength(int value) {
        return new LoadOptions(device, deviceAddress, threads, value, tokenizer, kvBudget, maxBatch);
    }

    public LoadOptions withTokenizer(Path value) {
        return new LoadOptions(device, deviceAddress, threads, contextLength, Optional.of(value), kvBudget, maxBatch);
    }

    /** The KV cache all sessions share, e.g. {@code KvBudget.tokens(8192)} (the CPU backend honours it). */
    public LoadOptions withKvBudget(KvBudget value) {
        return new LoadOptions(device, deviceAddress, threads, contextLength, tokenizer, Optional.of(value), maxBatch);
    }

    /** The most sequences decoded together by {@link Model#submit}. */
    public LoadOptions withMaxBatch(int value) {
        return new LoadOptions(device, deviceAddress, threads, contextLength, tokenizer, kvBudget, value);
    }

    /** {@code maxBatch}, or its default when 0. */
    public int effectiveMaxBatch() {
        return maxBatch == 0 ? DEFAULT_MAX_BATCH : maxBatch;
    }

    /** The context a session gets for a model trained on {@code modelContext} tokens. */
    int effectiveContext(int modelContext) {
        if (contextLength == 0) {
            return Math.min(modelContext, DEFAULT_CONTEXT_CAP);
        }
        return Math.min(modelContext, contextLength);
    }
}
