package dev.flashj.opencl.model;

import dev.flashj.FlashjException;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelSession;
import dev.flashj.opencl.kernels.OpenClOps;
import dev.flashj.cpu.RopeTable;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClQueue;

import java.util.ArrayList;
import java.util.List;

/**
 * One sequence on the device: its queue and kernels, activations sized for a prefill chunk, the
 * KV cache ([maxTokens, kvHeads, headDim] f32 per layer for K and for V) and the RoPE tables.
 * Prompts longer than a chunk run as several batches. Not thread-safe.
 */
final class OpenClLlamaSession implements ModelSession {
    /** Tokens per forward batch: bounds activation memory for long prompts. */
    static final int MAX_BATCH = 256;

    private final LlamaConfig c;
    private final OpenClWeights w;
    private final int maxTokens;
    private final int maxBatch;
    private final ClQueue queue;
    private final OpenClOps ops;
    private final List<ClBuffer> buffers = new ArrayList<>();
    private final ClBuffer[] keyCache;
    private final ClBuffer[] valueCache;
    private final ClBuffer ids;
    private final ClBuffer x;
    private final ClBuffer xn;
    private final ClBuffer q;
    private final ClBuffer attention;
    private final ClBuffer projected;
    private final ClBuffer gate;
    private final ClBuffer up;
    private final ClBuffer partial;
    private final ClBuffer logitsBuffer;
    private final ClBuffer ropeCos;
    private final ClBuffer ropeSin;
    private final float[] logits;
    private final float scale;
    private int position;
    private boolean closed;

    OpenClLlamaSession(ClContext context, LlamaConfig config, OpenClWeights weights, int maxTokens) {
        this.c = config;
        this.w = weights;
        this.maxTokens = maxTokens;
        this.maxBatch = Math.min(maxTokens, MAX_BATCH);
        this.scale = (float) (1 / Math.sqrt(c.headDim()));
        this.logits = new float[c.vocabSize()];
        this.queue = context.createQueue();
        OpenClOps createdOps = null;
        try {
            createdOps = new OpenClOps(context, queue, c.headDim());
            this.ops = createdOps;
            keyCache = new ClBuffer[c.numLayers()];
            valueCache = new ClBuffer[c.numLayers()];
            long cacheBytes = 4L * maxTokens * c.kvDim();
            for (int l = 0; l < c.numLayers(); l++) {
                keyCache[l] = buffer(context, cacheBytes, "layer " + l + " key cache (" + maxTokens + " tokens)");
                valueCache[l] = buffer(context, cacheBytes, "layer " + l + " value cache (" + maxTokens + " tokens)");
            }
            ids = buffer(context, 4L * maxBatch, "token ids");
            x = buffer(context, 4L * maxBatch * c.dim(), "residual stream");
            xn = buffer(context, 4L * maxBatch * c.dim(), "normalised activations");
            q = buffer(context, 4L * maxBatch * c.qDim(), "queries");
            attention = buffer(context, 4L * maxBatch * c.qDim(), "attention output");
            projected = buffer(context, 4L * maxBatch * c.dim(), "projection output");
            gate = buffer(context, 4L * maxBatch * c.hiddenDim(), "ffn gate");
            up = buffer(context, 4L * maxBatch * c.hiddenDim(), "ffn up");
            partial = buffer(context, 4L * OpenClOps.decodePartialFloats(c.numHeads(), c.headDim(), maxTokens),
                    "split-KV decode partials");
            logitsBuffer = buffer(context, 4L * c.vocabSize(), "logits");
            RopeTable table = RopeTable.create(c.rope(), maxTokens);
            ropeCos = buffer(context, 4L * table.cos().length, "rope cos table");
            ropeSin = buffer(context, 4L * table.sin().length, "rope sin table");
            queue.writeFloats(ropeCos, 0, table.cos());
            queue.writeFloats(ropeSin, 0, table.sin());
        } catch (RuntimeException e) {
            buffers.forEach(ClBuffer::close);
            if (createdOps != null) {
                createdOps.close();
            }
            queue.close();
            throw e;
        }
    }

    private ClBuffer buffer(ClContext context, long bytes, String purpose) {
        ClBuffer b = context.createBuffer(bytes, purpose);
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
        for (int done = 0; done < count; ) {
            int n = Math.min(maxBatch, count - done);
            forward(tokens, offset + done, n, done + n == count);
            done += n;
        }
        return logits;
    }

    /** Runs {@code n} tokens at the current position through every layer; the last batch also computes logits. */
    private void forward(int[] tokens, int offset, int n, boolean wantLogits) {
        int[] batch = new int[n];
        System.arraycopy(tokens, offset, batch, 0, n);
        queue.writeInts(ids, 0, batch);
        int dim = c.dim();
        int kvDim = c.kvDim();
        int cacheOffset = position * kvDim;
        int kvLen = position + n;
        ops.embedding(w.tokenEmbedding, ids, x, n);
        for (int l = 0; l < c.numLayers(); l++) {
            LayerWeights lw = w.layers.get(l);
            ClBuffer k = keyCache[l];
            ClBuffer v = valueCache[l];
            ops.rmsNorm(x, 0, lw.attentionNorm(), xn, 0, n, dim, c.rmsNormEps());
            ops.matmul(lw.query(), xn, 0, q, 0, n);
            ops.matmul(lw.key(), xn, 0, k, cacheOffset, n);
            ops.matmul(lw.value(), xn, 0, v, cacheOffset, n);
            if (lw.queryBias() != null) {
                ops.addBias(q, 0, lw.queryBias(), n, c.qDim());
                ops.addBias(k, cacheOffset, lw.keyBias(), n, kvDim);
                ops.addBias(v, cacheOffset, lw.valueBias(), n, kvDim);
            }
            ops.rope(q, 0, ropeCos, ropeSin, n, c.numHeads(), c.headDim(), c.rope().rotaryDims(), position, c.rope().style());
            ops.rope(k, cacheOffset, ropeCos, ropeSin, n, c.numKvHeads(), c.headDim(), c.rope().rotaryDims(), position,
                    c.rope().style());
            if (n == 1) {
                ops.decodeAttention(q, 0, k, v, partial, attention, 0, c.numHeads(), c.numKvHeads(), c.headDim(), kvLen,
                        ops.decodeChunk(kvLen, c.numHeads()), scale);
            } else {
                ops.attention(q, 0, k, v, attention, 0, n, c.numHeads(), c.numKvHeads(), c.headDim(), kvLen, position,
                        true, scale);
            }
            ops.matmul(lw.attentionOutput(), attention, 0, projected, 0, n);
            ops.add(x, projected, x, n * dim);
            ops.rmsNorm(x, 0, lw.ffnNorm(), xn, 0, n, dim, c.rmsNormEps());
            ops.matmul(lw.gate(), xn, 0, gate, 0, n);
            ops.matmul(lw.up(), xn, 0, up, 0, n);
            ops.siluMul(gate, up, gate, n * c.hiddenDim());
            ops.matmul(lw.down(), gate, 0, projected, 0, n);
            ops.add(x, projected, x, n * dim);
        }
        position += n;
        if (wantLogits) {
            ops.rmsNorm(x, (n - 1) * dim, w.outputNorm, xn, 0, 1, dim, c.rmsNormEps());
            ops.matmul(w.output, xn, 0, logitsBuffer, 0, 1);
            float[] read = queue.readFloats(logitsBuffer, 0, c.vocabSize());
            System.arraycopy(read, 0, logits, 0, read.length);
        }
    }

    @Override
    public void truncate(int newPosition) {
        if (newPosition < 0 || newPosition > position) {
            throw new FlashjException("truncate: position " + newPosition + " outside 0.." + position);
        }
        // Cache rows past the new position are simply overwritten by the next feed.
        position = newPosition;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.finish();
        buffers.forEach(ClBuffer::close);
        ops.close();
        queue.close();
    }
}
