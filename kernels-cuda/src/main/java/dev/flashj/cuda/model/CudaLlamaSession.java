package dev.flashj.cuda.model;

import dev.flashj.FlashjException;
import dev.flashj.cpu.RopeTable;
import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.cuda.runtime.CudaContext;
import dev.flashj.cuda.runtime.CudaException;
import dev.flashj.cuda.runtime.CudaGraph;
import dev.flashj.cuda.runtime.CudaModule;
import dev.flashj.cuda.runtime.CudaStream;
import dev.flashj.cuda.runtime.DeviceBuffer;
import dev.flashj.cuda.runtime.PinnedBuffer;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelSession;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * One sequence on the GPU: its stream and ops, activations sized for a prefill chunk, the KV cache
 * ([maxTokens, kvHeads, headDim] in the storage type per layer for K and for V) and the RoPE tables.
 * The residual stream is fp32; everything feeding a matrix product is fp16/bf16. Prompts longer than
 * a chunk run as several batches. Not thread-safe.
 *
 * <p>With decode graphs on, a one-token feed is a CUDA graph replay: the step is recorded once (on the second
 * one-token feed; the first runs the same launches directly, so every kernel is loaded outside the capture) and
 * replayed for every later token. Every argument of the recorded work is the same from token to token; what
 * changes (the token id, its position and the key count) is written to pinned host memory, which the step's first
 * node copies to {@link #decodeStep}, where the embedding, RoPE, KV-append and attention kernels read it. K and V
 * are projected into fixed scratch rows and appended to the cache at that position. The kernels and the split
 * plan are those of the direct path, so both give the same bits; prefill stays direct.
 */
final class CudaLlamaSession implements ModelSession {
    /** Tokens per forward batch: bounds activation memory for long prompts. */
    static final int MAX_BATCH = 512;
    /**
     * The decode step's device inputs, int [6]: query offsets [0, 1] and key offsets [0, kvLen] (the packed-batch
     * form flash attention reads), then the token id and its position.
     */
    private static final long STEP_KEY_OFFSETS = 8;
    private static final long STEP_KV_LEN = 12;
    private static final long STEP_TOKEN = 16;
    private static final long STEP_POSITION = 20;
    private static final long STEP_BYTES = 24;

    private final CudaContext context;
    private final LlamaConfig c;
    private final CudaWeights w;
    private final int maxTokens;
    private final int maxBatch;
    private final CudaStream stream;
    private final CudaOps ops;
    private final List<DeviceBuffer> buffers = new ArrayList<>();
    private final DeviceBuffer[] keyCache;
    private final DeviceBuffer[] valueCache;
    private final DeviceBuffer ids;
    private final DeviceBuffer sequenceOffsets;
    private final DeviceBuffer x;
    private final DeviceBuffer xn;
    private final DeviceBuffer q;
    private final DeviceBuffer attention;
    private final DeviceBuffer gate;
    private final DeviceBuffer up;
    private final DeviceBuffer partial;
    private final DeviceBuffer logitsBuffer;
    /** Whether one-token feeds replay a CUDA graph ({@link #decodeGraph}) rather than launching each kernel. */
    private final boolean decodeGraphs;
    /** The decode step's inputs on the device (layout: STEP_*) and their pinned host side. */
    private final DeviceBuffer decodeStep;
    private final PinnedBuffer hostStep;
    /** One token's Q, K and V, T [qDim + 2 * kvDim]: fixed rows, so the recorded projections never move. */
    private final DeviceBuffer decodeQkv;
    private CudaGraph decodeGraph;
    private boolean decodeStepLoaded;
    /** fp16 copy of one quantized layer matrix for prefill batches (null when nothing is quantized or batches are small). */
    private final DeviceBuffer dequantizeScratch;
    private final DeviceBuffer ropeCos;
    private final DeviceBuffer ropeSin;
    /** Host side of ids and offsets [4 offsets, maxBatch ids] and of the logits. */
    private final PinnedBuffer hostInputs;
    private final PinnedBuffer hostLogits;
    private final float[] logits;
    private final float scale;
    private int position;
    private boolean closed;

    CudaLlamaSession(CudaContext context, CudaModule module, LlamaConfig config, CudaWeights weights, int maxTokens,
                     boolean decodeGraphs) {
        this.context = context;
        this.decodeGraphs = decodeGraphs;
        this.c = config;
        this.w = weights;
        this.maxTokens = maxTokens;
        this.maxBatch = Math.min(maxTokens, MAX_BATCH);
        this.scale = (float) (1 / Math.sqrt(c.headDim()));
        this.logits = new float[c.vocabSize()];
        this.stream = context.createStream();
        CudaOps createdOps = null;
        PinnedBuffer inputs = null;
        PinnedBuffer outputs = null;
        PinnedBuffer step = null;
        try {
            createdOps = new CudaOps(module, stream, weights.storage, context.device());
            inputs = context.allocatePinned(4L * (4 + maxBatch), "session ids");
            outputs = context.allocatePinned(4L * c.vocabSize(), "session logits");
            step = context.allocatePinned(STEP_BYTES, "decode step inputs");
            keyCache = new DeviceBuffer[c.numLayers()];
            valueCache = new DeviceBuffer[c.numLayers()];
            long cacheBytes = 2L * maxTokens * c.kvDim();
            for (int l = 0; l < c.numLayers(); l++) {
                keyCache[l] = buffer(cacheBytes, "layer " + l + " key cache (" + maxTokens + " tokens)");
                valueCache[l] = buffer(cacheBytes, "layer " + l + " value cache (" + maxTokens + " tokens)");
            }
            ids = buffer(4L * maxBatch, "token ids");
            sequenceOffsets = buffer(16, "sequence offsets");
            x = buffer(4L * maxBatch * c.dim(), "residual stream");
            xn = buffer(2L * maxBatch * Math.max(c.dim(), c.qDim()), "normalised activations");
            q = buffer(2L * maxBatch * c.qDim(), "queries");
            attention = buffer(2L * maxBatch * c.qDim(), "attention output");
            gate = buffer(2L * maxBatch * c.hiddenDim(), "ffn gate");
            up = buffer(2L * maxBatch * c.hiddenDim(), "ffn up");
            partial = buffer(4L * CudaOps.decodePartialFloats(c.numHeads(), c.headDim(), maxTokens,
                    context.device().multiprocessors()), "split-KV decode partials");
            logitsBuffer = buffer(4L * c.vocabSize(), "logits");
            decodeStep = buffer(STEP_BYTES, "decode step inputs");
            decodeQkv = buffer(2L * (c.qDim() + 2L * c.kvDim()), "decode step q/k/v");
            long scratchBytes = maxBatch > CudaOps.DEQUANTIZE_ABOVE_TOKENS ? weights.largestQuantizedLayerMatrixBytes() : 0;
            dequantizeScratch = scratchBytes > 0 ? buffer(scratchBytes, "prefill fp16 copy of a quantized matrix") : null;
            RopeTable table = RopeTable.create(c.rope(), maxTokens);
            ropeCos = buffer(4L * table.cos().length, "rope cos table");
            ropeSin = buffer(4L * table.sin().length, "rope sin table");
            stream.writeFloats(ropeCos, 0, table.cos());
            stream.writeFloats(ropeSin, 0, table.sin());
        } catch (RuntimeException e) {
            buffers.forEach(DeviceBuffer::close);
            if (createdOps != null) {
                createdOps.close();
            }
            if (inputs != null) {
                inputs.close();
            }
            if (outputs != null) {
                outputs.close();
            }
            if (step != null) {
                step.close();
            }
            stream.close();
            throw e;
        }
        this.ops = createdOps;
        this.hostInputs = inputs;
        this.hostLogits = outputs;
        this.hostStep = step;
    }

    private DeviceBuffer buffer(long bytes, String purpose) {
        DeviceBuffer b = context.allocate(bytes, purpose);
        buffers.add(b);
        return b;
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public int maxTokens() {
        return maxTokens;
    }

    @Override
    public long kvBytes() {
        return 2L * 2 * c.numLayers() * (long) position * c.kvDim();
    }

    @Override
    public float[] feed(int[] tokens, int offset, int count) {
        if (closed) {
            throw new IllegalStateException("session closed");
        }
        if (count <= 0 || offset < 0 || offset > tokens.length - count) {
            throw new FlashjException("feed: " + count + " tokens at offset " + offset + " of an array of " + tokens.length);
        }
        if (count > maxTokens - position) {
            throw new FlashjException("feed: " + count + " tokens at position " + position + " exceed the session's "
                    + maxTokens + " tokens");
        }
        for (int i = offset; i < offset + count; i++) {
            if (tokens[i] < 0 || tokens[i] >= c.vocabSize()) {
                throw new FlashjException("feed: token id " + tokens[i] + " (index " + i + ") is outside the vocabulary 0.."
                        + (c.vocabSize() - 1));
            }
        }
        context.makeCurrent();
        for (int done = 0; done < count; ) {
            int n = Math.min(maxBatch, count - done);
            if (n == 1 && decodeGraphs && done + n == count) {
                decode(tokens[offset + done]);
            } else {
                forward(tokens, offset + done, n, done + n == count);
            }
            done += n;
        }
        return logits;
    }

    /**
     * One token through the decode step: launched directly the first time, recorded as a CUDA graph the second,
     * replayed from then on. Every feed ends synchronised, so no earlier copy still reads the pinned inputs.
     */
    private void decode(int token) {
        MemorySegment host = hostStep.segment();
        host.set(ValueLayout.JAVA_INT, 0, 0);
        host.set(ValueLayout.JAVA_INT, 4, 1);
        host.set(ValueLayout.JAVA_INT, STEP_KEY_OFFSETS, 0);
        host.set(ValueLayout.JAVA_INT, STEP_KV_LEN, position + 1);
        host.set(ValueLayout.JAVA_INT, STEP_TOKEN, token);
        host.set(ValueLayout.JAVA_INT, STEP_POSITION, position);
        if (decodeGraph != null) {
            decodeGraph.launch(stream);
        } else if (!decodeStepLoaded) {
            enqueueDecodeStep();
            decodeStepLoaded = true;
        } else {
            try {
                decodeGraph = CudaGraph.capture(stream, "decode step", this::enqueueDecodeStep);
            } catch (CudaException e) {
                throw new FlashjException("recording the decode step as a CUDA graph failed: " + e.getMessage()
                        + " (-Dflashj.cuda.graphs=false launches each kernel directly instead)", e);
            }
            decodeGraph.launch(stream);
        }
        stream.synchronize();
        position++;
        MemorySegment.copy(hostLogits.segment(), ValueLayout.JAVA_FLOAT, 0, logits, 0, logits.length);
    }

    /**
     * The decode step's work, identical for every token (recorded once): the inputs from pinned memory, the layers as
     * in {@link #forward} for one token, the logits back into pinned memory. Allocates and synchronises nothing.
     */
    private void enqueueDecodeStep() {
        int dim = c.dim();
        int kvDim = c.kvDim();
        long keyOffset = 2L * c.qDim();
        long valueOffset = keyOffset + 2L * kvDim;
        stream.copyToDevice(decodeStep, 0, hostStep.segment());
        ops.embedding(w.tokenEmbedding, decodeStep, STEP_TOKEN, x, 1);
        for (int l = 0; l < c.numLayers(); l++) {
            LayerWeights lw = w.layers.get(l);
            DeviceBuffer k = keyCache[l];
            DeviceBuffer v = valueCache[l];
            // Attention: norm, Q/K/V into the step's rows, RoPE on Q and K at once (adjacent heads), K/V appended
            // at the step's position, attention over the step's key count, projection + residual.
            ops.rmsNorm(x, 0, lw.attentionNorm(), xn, 0, 1, dim, c.rmsNormEps());
            ops.matmul(lw.query(), xn, 0, decodeQkv, 0, c.qDim(), 1, false, false);
            ops.matmul(lw.key(), xn, 0, decodeQkv, keyOffset, kvDim, 1, false, false);
            ops.matmul(lw.value(), xn, 0, decodeQkv, valueOffset, kvDim, 1, false, false);
            if (lw.queryBias() != null) {
                ops.addBias(decodeQkv, 0, lw.queryBias(), 1, c.qDim(), c.qDim());
                ops.addBias(decodeQkv, keyOffset, lw.keyBias(), 1, kvDim, kvDim);
                ops.addBias(decodeQkv, valueOffset, lw.valueBias(), 1, kvDim, kvDim);
            }
            ops.ropeAt(decodeQkv, 0, ropeCos, ropeSin, c.numHeads() + c.numKvHeads(), c.headDim(), c.rope().rotaryDims(),
                    decodeStep, STEP_POSITION, c.rope().style());
            ops.kvAppendAt(decodeQkv, keyOffset, decodeQkv, valueOffset, k, v, kvDim, decodeStep, STEP_POSITION);
            if (CudaOps.hasDecodeKernel(c.headDim())) {
                ops.decodeAttentionAt(decodeQkv, 0, k, v, partial, attention, 0, null, c.numHeads(), c.numKvHeads(),
                        c.headDim(), decodeStep, STEP_KV_LEN, maxTokens, scale);
            } else {
                ops.flashAttention(decodeQkv, 0, k, 0, v, 0, attention, 0, null, decodeStep, 0, decodeStep, STEP_KEY_OFFSETS,
                        1, 1, 1, c.numHeads(), c.numKvHeads(), c.headDim(), scale, true);
            }
            ops.matmul(lw.attentionOutput(), attention, 0, x, 0, dim, 1, true, true);
            // Feed-forward: norm, SwiGLU, down projection + residual.
            ops.rmsNorm(x, 0, lw.ffnNorm(), xn, 0, 1, dim, c.rmsNormEps());
            ops.matmul(lw.gate(), xn, 0, gate, 0, c.hiddenDim(), 1, false, false);
            ops.matmul(lw.up(), xn, 0, up, 0, c.hiddenDim(), 1, false, false);
            ops.siluMul(gate, up, gate, c.hiddenDim());
            ops.matmul(lw.down(), gate, 0, x, 0, dim, 1, true, true);
        }
        ops.rmsNorm(x, 0, w.outputNorm, xn, 0, 1, dim, c.rmsNormEps());
        ops.matmul(w.output, xn, 0, logitsBuffer, 0, c.vocabSize(), 1, true, false);
        stream.copyToHost(hostLogits.segment(), logitsBuffer, 0);
    }

    /** Runs {@code n} tokens at the current position through every layer; the last batch also computes logits. */
    private void forward(int[] tokens, int offset, int n, boolean wantLogits) {
        int dim = c.dim();
        int kvDim = c.kvDim();
        int kvLen = position + n;
        long cacheOffset = 2L * position * kvDim;
        uploadInputs(tokens, offset, n, kvLen);
        ops.embedding(w.tokenEmbedding, ids, x, n);
        for (int l = 0; l < c.numLayers(); l++) {
            LayerWeights lw = w.layers.get(l);
            DeviceBuffer k = keyCache[l];
            DeviceBuffer v = valueCache[l];
            // Attention: norm, Q/K/V (K and V straight into the cache), RoPE, attention, projection + residual.
            ops.rmsNorm(x, 0, lw.attentionNorm(), xn, 0, n, dim, c.rmsNormEps());
            ops.matmul(lw.query(), xn, 0, q, 0, c.qDim(), n, false, false, dequantizeScratch);
            ops.matmul(lw.key(), xn, 0, k, cacheOffset, kvDim, n, false, false, dequantizeScratch);
            ops.matmul(lw.value(), xn, 0, v, cacheOffset, kvDim, n, false, false, dequantizeScratch);
            if (lw.queryBias() != null) {
                ops.addBias(q, 0, lw.queryBias(), n, c.qDim(), c.qDim());
                ops.addBias(k, cacheOffset, lw.keyBias(), n, kvDim, kvDim);
                ops.addBias(v, cacheOffset, lw.valueBias(), n, kvDim, kvDim);
            }
            ops.rope(q, 0, ropeCos, ropeSin, n, c.numHeads(), c.qDim(), c.headDim(), c.rope().rotaryDims(), position,
                    c.rope().style());
            ops.rope(k, cacheOffset, ropeCos, ropeSin, n, c.numKvHeads(), kvDim, c.headDim(), c.rope().rotaryDims(), position,
                    c.rope().style());
            if (n == 1 && CudaOps.hasDecodeKernel(c.headDim())) {
                ops.decodeAttention(q, 0, k, v, partial, attention, 0, null, c.numHeads(), c.numKvHeads(), c.headDim(),
                        kvLen, scale);
            } else {
                ops.flashAttention(q, 0, k, 0, v, 0, attention, 0, null, sequenceOffsets, 0,
                        sequenceOffsets, 8, 1, n, n, c.numHeads(), c.numKvHeads(), c.headDim(), scale, true);
            }
            ops.matmul(lw.attentionOutput(), attention, 0, x, 0, dim, n, true, true, dequantizeScratch);
            // Feed-forward: norm, SwiGLU, down projection + residual.
            ops.rmsNorm(x, 0, lw.ffnNorm(), xn, 0, n, dim, c.rmsNormEps());
            ops.matmul(lw.gate(), xn, 0, gate, 0, c.hiddenDim(), n, false, false, dequantizeScratch);
            ops.matmul(lw.up(), xn, 0, up, 0, c.hiddenDim(), n, false, false, dequantizeScratch);
            ops.siluMul(gate, up, gate, (long) n * c.hiddenDim());
            ops.matmul(lw.down(), gate, 0, x, 0, dim, n, true, true, dequantizeScratch);
        }
        position += n;
        if (wantLogits) {
            ops.rmsNorm(x, 4L * (n - 1) * dim, w.outputNorm, xn, 0, 1, dim, c.rmsNormEps());
            ops.matmul(w.output, xn, 0, logitsBuffer, 0, c.vocabSize(), 1, true, false);
            MemorySegment host = hostLogits.segment();
            stream.copyToHost(host, logitsBuffer, 0);
            stream.synchronize();
            MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, logits, 0, logits.length);
        }
    }

    /** Token ids and the one-sequence offsets [0, n] (queries) and [0, kvLen] (keys), through pinned memory. */
    private void uploadInputs(int[] tokens, int offset, int n, int kvLen) {
        stream.synchronize();  // the previous batch's copies read the pinned memory we are about to rewrite
        MemorySegment host = hostInputs.segment();
        host.set(ValueLayout.JAVA_INT, 0, 0);
        host.set(ValueLayout.JAVA_INT, 4, n);
        host.set(ValueLayout.JAVA_INT, 8, 0);
        host.set(ValueLayout.JAVA_INT, 12, kvLen);
        MemorySegment.copy(tokens, offset, host, ValueLayout.JAVA_INT, 16, n);
        stream.copyToDevice(sequenceOffsets, 0, host.asSlice(0, 16));
        stream.copyToDevice(ids, 0, host.asSlice(16, 4L * n));
    }

    @Override
    public void truncate(int newPosition) {
        if (newPosition < 0 || newPosition > position) {
            throw new FlashjException("truncate: position " + newPosition + " outside 0.." + position);
        }
        // Cache rows past the new position are simply overwritten by the next feed; the decode graph reads the
        // position from its inputs, so it stays valid.
        position = newPosition;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        context.makeCurrent();
        stream.synchronize();
        if (decodeGraph != null) {
            decodeGraph.close();
        }
        buffers.forEach(DeviceBuffer::close);
        hostInputs.close();
        hostStep.close();
        hostLogits.close();
        ops.close();
        stream.close();
    }
}
