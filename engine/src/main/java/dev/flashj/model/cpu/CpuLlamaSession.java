package dev.flashj.model.cpu;

import dev.flashj.FlashjException;
import dev.flashj.cpu.Attention;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.MatMul;
import dev.flashj.cpu.Ops;
import dev.flashj.cpu.RmsNorm;
import dev.flashj.cpu.Rope;
import dev.flashj.cpu.RopeTable;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelSession;
import dev.flashj.model.RopeStyle;
import dev.flashj.tensor.Dequantizer;

/**
 * One sequence on a {@link CpuLlamaModel}: the KV cache and activation buffers, all allocated at
 * creation (activations for a chunk of up to {@link CpuLlamaModel#MAX_PREFILL_CHUNK} tokens). A prompt
 * runs as a batch: each weight matrix is applied to all tokens of a chunk in one matmul.
 */
public final class CpuLlamaSession implements ModelSession {
    private final CpuLlamaModel model;
    private final LlamaConfig c;
    private final LlamaWeights w;
    private final RopeTable rope;
    private final RopeStyle ropeStyle;
    private final CpuThreads threads;
    private final int maxTokens;
    private final int chunk;
    private final KvCache cache;
    private final Attention attention;

    // Activations, [chunk, width] row-major.
    private final float[] x;      // residual stream
    private final float[] xb;     // normalized input of a sub-layer
    private final float[] q;
    private final float[] k;
    private final float[] v;
    private final float[] att;    // attention output, before the output projection
    private final float[] proj;   // output of attn_output / ffn_down, added to the residual
    private final float[] gate;
    private final float[] up;
    private final float[] logits;

    private int position;
    private boolean closed;

    CpuLlamaSession(CpuLlamaModel model, int maxTokens) {
        this.model = model;
        this.c = model.config();
        this.w = model.weights();
        this.rope = model.rope();
        this.ropeStyle = c.rope().style();
        this.threads = model.threads();
        this.maxTokens = maxTokens;
        this.chunk = Math.min(CpuLlamaModel.MAX_PREFILL_CHUNK, maxTokens);
        this.cache = new KvCache(c.numLayers(), maxTokens, c.kvDim());
        this.attention = new Attention(c.numHeads(), c.numKvHeads(), c.headDim(), maxTokens, threads.size());
        this.x = new float[chunk * c.dim()];
        this.xb = new float[chunk * c.dim()];
        this.q = new float[chunk * c.qDim()];
        this.k = new float[chunk * c.kvDim()];
        this.v = new float[chunk * c.kvDim()];
        this.att = new float[chunk * c.qDim()];
        this.proj = new float[chunk * c.dim()];
        this.gate = new float[chunk * c.hiddenDim()];
        this.up = new float[chunk * c.hiddenDim()];
        this.logits = new float[c.vocabSize()];
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
        validate(tokens, offset, count);
        for (int done = 0; done < count; ) {
            int n = Math.min(chunk, count - done);
            forwardLayers(tokens, offset + done, n);
            done += n;
            if (done == count) {
                int last = (n - 1) * c.dim();
                RmsNorm.apply(x, last, w.outputNorm(), c.rmsNormEps(), xb, 0, c.dim());
                MatMul.matmul(threads, w.output(), xb, 0, 1, logits, 0);
            }
        }
        return logits;
    }

    /**
     * Like {@link #feed} but writes the logits of every fed position:
     * {@code logits[logitsOffset + t*vocabSize ..]} for token {@code t < count} (for perplexity and
     * for comparing whole prompts with a reference).
     */
    public void feedAll(int[] tokens, int offset, int count, float[] logits, int logitsOffset) {
        validate(tokens, offset, count);
        int vocab = c.vocabSize();
        if (logits == null || logitsOffset < 0 || (long) logitsOffset + (long) count * vocab > logits.length) {
            throw new FlashjException("feedAll: the logits array must hold " + count + " x " + vocab
                    + " floats from offset " + logitsOffset);
        }
        for (int done = 0; done < count; ) {
            int n = Math.min(chunk, count - done);
            forwardLayers(tokens, offset + done, n);
            RmsNorm.applyRows(x, 0, w.outputNorm(), c.rmsNormEps(), xb, 0, c.dim(), n);
            MatMul.matmul(threads, w.output(), xb, 0, n, logits, logitsOffset + done * vocab);
            done += n;
        }
    }

    @Override
    public void truncate(int newPosition) {
        ensureOpen();
        if (newPosition < 0 || newPosition > position) {
            throw new FlashjException("cannot truncate to position " + newPosition + ": the session holds "
                    + position + " tokens");
        }
        position = newPosition;
    }

    @Override
    public void close() {
        closed = true;
    }

    private void ensureOpen() {
        if (closed) {
            throw new FlashjException("the session is closed");
        }
        if (model.isClosed()) {
            throw new FlashjException("the model of this session is closed");
        }
    }

    private void validate(int[] tokens, int offset, int count) {
        ensureOpen();
        if (tokens == null || offset < 0 || count < 1 || offset > tokens.length - count) {
            throw new FlashjException("feed: need 1 or more tokens at [offset, offset+count) within the array (offset "
                    + offset + ", count " + count + ", length " + (tokens == null ? "null" : tokens.length) + ")");
        }
        if (count > maxTokens - position) {
            throw new FlashjException("feed: " + count + " tokens at position " + position + " exceed the session's "
                    + maxTokens + " tokens");
        }
        for (int i = offset; i < offset + count; i++) {
            if (tokens[i] < 0 || tokens[i] >= c.vocabSize()) {
                throw new FlashjException("feed: token id " + tokens[i] + " (index " + (i - offset)
                        + ") is outside the vocabulary [0, " + c.vocabSize() + ")");
            }
        }
    }

    /** Runs all blocks over {@code n <= chunk} tokens at the current position; leaves the residual in x. */
    private void forwardLayers(int[] tokens, int offset, int n) {
        int dim = c.dim();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        int hidden = c.hiddenDim();
        float eps = c.rmsNormEps();
        int first = position;
        for (int b = 0; b < n; b++) {
            Dequantizer.dequantize(w.tokenEmbedding(), (long) tokens[offset + b] * dim, x, b * dim, dim);
        }
        for (int l = 0; l < c.numLayers(); l++) {
            LayerWeights lw = w.layers().get(l);
            // Attention.
            RmsNorm.applyRows(x, 0, lw.attentionNorm(), eps, xb, 0, dim, n);
            MatMul.matmul(threads, lw.query(), xb, 0, n, q, 0);
            MatMul.matmul(threads, lw.key(), xb, 0, n, k, 0);
            MatMul.matmul(threads, lw.value(), xb, 0, n, v, 0);
            if (lw.hasBiases()) {
                for (int b = 0; b < n; b++) {
                    Ops.add(lw.queryBias(), 0, q, b * qDim, qDim);
                    Ops.add(lw.keyBias(), 0, k, b * kvDim, kvDim);
                    Ops.add(lw.valueBias(), 0, v, b * kvDim, kvDim);
                }
            }
            Rope.applyRows(q, 0, n, c.numHeads(), c.headDim(), ropeStyle, rope, first);
            Rope.applyRows(k, 0, n, c.numKvHeads(), c.headDim(), ropeStyle, rope, first);
            cache.store(l, first, k, v, n);
            attention.run(threads, q, n, first, cache.keys(l), cache.values(l), 0, att);
            MatMul.matmul(threads, lw.attentionOutput(), att, 0, n, proj, 0);
            Ops.add(proj, 0, x, 0, n * dim);
            // Feed-forward (SwiGLU).
            RmsNorm.applyRows(x, 0, lw.ffnNorm(), eps, xb, 0, dim, n);
            MatMul.matmul(threads, lw.ffnGate(), xb, 0, n, gate, 0);
            MatMul.matmul(threads, lw.ffnUp(), xb, 0, n, up, 0);
            Ops.siluMul(gate, 0, up, 0, n * hidden);
            MatMul.matmul(threads, lw.ffnDown(), gate, 0, n, proj, 0);
            Ops.add(proj, 0, x, 0, n * dim);
        }
        position += n;
    }
}
