package dev.flashj.model.cpu;

import dev.flashj.FlashjException;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.FusedMatVec;
import dev.flashj.cpu.MatMul;
import dev.flashj.cpu.Ops;
import dev.flashj.cpu.RmsNorm;
import dev.flashj.cpu.Rope;
import dev.flashj.cpu.RopeTable;
import dev.flashj.kv.Allocation;
import dev.flashj.kv.BlockPool;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.kv.EvictionReport;
import dev.flashj.kv.KvEvictor;
import dev.flashj.kv.PagePlan;
import dev.flashj.kv.PagedAttention;
import dev.flashj.kv.PagedSequence;
import dev.flashj.kv.SharedPrefix;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelSession;
import dev.flashj.model.RopeStyle;
import dev.flashj.tensor.Dequantizer;

import java.util.List;
import java.util.Optional;

/**
 * One sequence on a {@link CpuLlamaModel}: its paged KV cache (block tables over the model's
 * {@link BlockPool}) and activation buffers, allocated at creation (activations for a chunk of up to
 * {@link CpuLlamaModel#MAX_PREFILL_CHUNK} tokens). A prompt runs as a batch: each weight matrix is
 * applied to all tokens of a chunk in one matmul.
 *
 * <p>Prefix sharing: every full block of tokens is published to the pool under the chain hash of the
 * tokens so far; a later feed at a block boundary first attaches the published blocks of its longest
 * matching prefix (keeping at least its last token to compute), skipping their forward pass.
 *
 * <p>Eviction: with an {@link EvictionPolicy} other than {@code none}, each feed ends by applying the
 * policy when the cache is over its budget (after a prefill down to the budget, while decoding one
 * block further). Scoring policies use the queries of the last tokens, kept in a small ring per layer.
 * Once entries are evicted, {@link #truncate} rebuilds the shorter sequence from its tokens.
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
    private final BlockPool pool;
    private final int blockSize;
    private final PagedSequence kv;
    private final PagedAttention attention;
    private final SharedPrefix prefix; // tokens fed, and this sequence's side of prefix sharing
    private boolean compacted;        // an eviction ran: KV entries no longer match positions
    private final KvEvictor evictor;  // null: keep everything
    private final int observe;        // queries kept per layer for scoring policies
    private final float[][] recentQueries; // per layer, ring of `observe` query rows by position
    private int observedFrom;         // recentQueries holds positions [max(observedFrom, position - observe), position)
    private EvictionReport lastEviction;

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

    CpuLlamaSession(CpuLlamaModel model, int maxTokens, EvictionPolicy policy) {
        this.model = model;
        this.c = model.config();
        this.w = model.weights();
        this.rope = model.rope();
        this.ropeStyle = c.rope().style();
        this.threads = model.threads();
        this.maxTokens = maxTokens;
        this.chunk = Math.min(CpuLlamaModel.MAX_PREFILL_CHUNK, maxTokens);
        this.pool = model.kvPool();
        this.blockSize = pool.layout().blockSize();
        this.kv = new PagedSequence(pool);
        this.attention = new PagedAttention(c.numHeads(), c.numKvHeads(), c.headDim(), threads.size());
        this.prefix = new SharedPrefix(pool, kv, c.numLayers(), maxTokens);
        this.evictor = policy instanceof EvictionPolicy.None ? null : new KvEvictor(policy, c.numHeads(), c.numLayers());
        this.observe = policy.observationWindow();
        this.recentQueries = new float[observe > 0 ? c.numLayers() : 0][observe * c.qDim()];
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
        prefix.record(tokens, offset, position, count);
        int done = attachSharedPrefix(count);
        while (done < count) {
            int n = Math.min(chunk, count - done);
            forwardLayers(tokens, offset + done, n);
            done += n;
            if (done == count) {
                int last = (n - 1) * c.dim();
                RmsNorm.apply(x, last, w.outputNorm(), c.rmsNormEps(), xb, 0, c.dim());
                MatMul.matmul(threads, w.output(), xb, 0, 1, logits, 0);
            }
        }
        evictIfOverBudget(count == 1);
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
        prefix.record(tokens, offset, position, count);
        for (int done = 0; done < count; ) {
            int n = Math.min(chunk, count - done);
            forwardLayers(tokens, offset + done, n);
            RmsNorm.applyRows(x, 0, w.outputNorm(), c.rmsNormEps(), xb, 0, c.dim(), n);
            MatMul.matmul(threads, w.output(), xb, 0, n, logits, logitsOffset + done * vocab);
            done += n;
        }
        evictIfOverBudget(count == 1);
    }

    @Override
    public void truncate(int newPosition) {
        ensureOpen();
        if (newPosition < 0 || newPosition > position) {
            throw new FlashjException("cannot truncate to position " + newPosition + ": the session holds "
                    + position + " tokens");
        }
        if (newPosition == position) {
            return;
        }
        if (compacted) {
            // Evicted entries are gone: rebuild the shorter sequence from its tokens (shared prefix
            // blocks make this cheap when they are still cached).
            kv.truncate(0);
            compacted = false;
            prefix.truncate(0);
            position = 0;
            observedFrom = 0;
            if (newPosition > 0) {
                feed(prefix.tokens(newPosition), 0, newPosition);
            }
            return;
        }
        kv.truncate(newPosition);
        // Ring slots of positions in [position - observe, newPosition) were not overwritten.
        observedFrom = Math.min(newPosition, Math.max(observedFrom, position - observe));
        position = newPosition;
        prefix.truncate(newPosition);
    }

    /** Bytes of KV blocks this session holds (blocks shared with other sessions included). */
    @Override
    public long kvBytes() {
        return kv.bytes();
    }

    /** What the last eviction did, if the policy evicted anything yet. */
    public Optional<EvictionReport> lastEviction() {
        return Optional.ofNullable(lastEviction);
    }

    /** The session's eviction machinery (for its PrefixKV profile), if it has a policy. */
    public Optional<KvEvictor> evictor() {
        return Optional.ofNullable(evictor);
    }

    /** KV entries held in {@code layer} (the position, unless an eviction policy dropped some). */
    public int kvEntries(int layer) {
        return kv.entries(layer);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            kv.close();
        }
    }

    // Batched decoding: CpuBatchDecoder runs the layers for many sessions and keeps each one's
    // bookkeeping (history, position, prefix publishing) here, exactly as feed does for one token.

    CpuLlamaModel model() {
        return model;
    }

    PagedSequence kvCache() {
        return kv;
    }

    /** Room for {@code n} more tokens; running out is a result, not an exception. */
    Allocation tryReserve(int n) {
        ensureOpen();
        return kv.reserve(n);
    }

    /** Checks that {@code token} can be decoded next in a batch (nothing changes). */
    void checkBatchDecode(int token) {
        validate(new int[]{token}, 0, 1);
        if (evictor != null) {
            throw new FlashjException("batched decoding does not run KV eviction policies; decode this session alone");
        }
    }

    /** Records the token about to be decoded; returns its position. */
    int beginBatchDecode(int token) {
        prefix.record(token, position);
        return position;
    }

    /** The token's entries are in every layer: advance and publish completed blocks. */
    void endBatchDecode() {
        position++;
        publishFullBlocks();
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

    /**
     * Attaches published blocks matching the next full blocks of the {@code count} tokens just
     * recorded, leaving the last token and a scoring policy's observation window to compute; returns
     * the tokens covered.
     */
    private int attachSharedPrefix(int count) {
        if (compacted) {
            return 0;
        }
        int covered = prefix.attach(position, count, Math.max(1, observe));
        if (covered > 0) {
            position += covered;
            observedFrom = position;
        }
        return covered;
    }

    /** Offers every newly completed full block of every layer to the prefix cache. */
    private void publishFullBlocks() {
        if (!compacted) {
            prefix.publish(position);
        }
    }

    private void evictIfOverBudget(boolean decode) {
        if (evictor == null) {
            return;
        }
        int observed = Math.min(observe, position - observedFrom);
        int qDim = c.qDim();
        Optional<EvictionReport> report = evictor.apply(kv, layer -> {
            // The ring's rows in position order, oldest first.
            float[] window = new float[observed * qDim];
            for (int i = 0; i < observed; i++) {
                int pos = position - observed + i;
                System.arraycopy(recentQueries[layer], (pos % observe) * qDim, window, i * qDim, qDim);
            }
            return window;
        }, observed, decode);
        if (report.isPresent()) {
            lastEviction = report.get();
            compacted = true;
        }
    }

    private void reserve(int n) {
        Allocation a = kv.reserve(n);
        if (a instanceof Allocation.OutOfBlocks shortage) {
            throw new FlashjException(shortage.describe(pool.layout()) + " (session at position " + position
                    + "; raise the KV budget or run fewer sequences at once)");
        }
    }

    /** Runs all blocks over {@code n <= chunk} tokens at the current position; leaves the residual in x. */
    private void forwardLayers(int[] tokens, int offset, int n) {
        reserve(n);
        int[] queries = {n};
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
            if (n == 1) {
                FusedMatVec.stacked(threads, xb, 0, lw.query(), q, lw.key(), k, lw.value(), v);
            } else {
                MatMul.matmul(threads, lw.query(), xb, 0, n, q, 0);
                MatMul.matmul(threads, lw.key(), xb, 0, n, k, 0);
                MatMul.matmul(threads, lw.value(), xb, 0, n, v, 0);
            }
            if (lw.hasBiases()) {
                for (int b = 0; b < n; b++) {
                    Ops.add(lw.queryBias(), 0, q, b * qDim, qDim);
                    Ops.add(lw.keyBias(), 0, k, b * kvDim, kvDim);
                    Ops.add(lw.valueBias(), 0, v, b * kvDim, kvDim);
                }
            }
            Rope.applyRows(q, 0, n, c.numHeads(), c.headDim(), ropeStyle, rope, first);
            Rope.applyRows(k, 0, n, c.numKvHeads(), c.headDim(), ropeStyle, rope, first);
            for (int b = Math.max(0, n - observe); b < n; b++) {
                System.arraycopy(q, b * qDim, recentQueries[l], ((first + b) % observe) * qDim, qDim);
            }
            kv.append(l, k, v, 0, n);
            attention.run(threads, pool, PagePlan.of(blockSize, queries, List.of(kv.table(l))), q, att);
            MatMul.matmul(threads, lw.attentionOutput(), att, 0, n, proj, 0);
            Ops.add(proj, 0, x, 0, n * dim);
            // Feed-forward (SwiGLU).
            RmsNorm.applyRows(x, 0, lw.ffnNorm(), eps, xb, 0, dim, n);
            if (n == 1) {
                FusedMatVec.swiGlu(threads, xb, 0, lw.ffnGate(), lw.ffnUp(), gate, 0, up);
            } else {
                MatMul.matmul(threads, lw.ffnGate(), xb, 0, n, gate, 0);
                MatMul.matmul(threads, lw.ffnUp(), xb, 0, n, up, 0);
                Ops.siluMul(gate, 0, up, 0, n * hidden);
            }
            MatMul.matmul(threads, lw.ffnDown(), gate, 0, n, proj, 0);
            Ops.add(proj, 0, x, 0, n * dim);
        }
        position += n;
        publishFullBlocks();
    }
}
