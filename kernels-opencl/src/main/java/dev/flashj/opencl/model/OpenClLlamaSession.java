package dev.flashj.opencl.model;

import dev.flashj.FlashjException;
import dev.flashj.cpu.RopeTable;
import dev.flashj.kv.Allocation;
import dev.flashj.kv.BlockPool;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.kv.EvictionReport;
import dev.flashj.kv.KvEvictor;
import dev.flashj.kv.PagePlan;
import dev.flashj.kv.PagedSequence;
import dev.flashj.kv.SharedPrefix;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelSession;
import dev.flashj.opencl.kernels.DevicePagePlan;
import dev.flashj.opencl.kernels.OpenClOps;
import dev.flashj.opencl.kernels.PagedKvOps;
import dev.flashj.opencl.kv.OpenClKvStorage;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClQueue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One sequence on the device: its queue and kernels, activations sized for a prefill chunk, the RoPE
 * tables and its paged KV cache, block tables on the host over the model's {@link BlockPool}, whose
 * blocks live in device memory ({@link OpenClKvStorage}). Each layer's new keys and values are written
 * into their pages by a kernel; attention reads them through the block table (prefill: tiled over the
 * new tokens; decode: split-KV). Prompts longer than a chunk run as several batches.
 *
 * <p>Prefix sharing and eviction work as on the CPU backend: full blocks are published under their
 * chain hash and later feeds attach the published blocks of their longest matching prefix; with an
 * {@link EvictionPolicy} each feed ends by evicting when over budget, scoring policies computing their
 * observation scores on the device from the queries of the last tokens (a ring per layer kept there).
 * Not thread-safe.
 */
final class OpenClLlamaSession implements ModelSession {
    /** Tokens per forward batch: bounds activation memory for long prompts. */
    static final int MAX_BATCH = 256;

    private final OpenClLlamaModel model;
    private final LlamaConfig c;
    private final OpenClWeights w;
    private final int maxTokens;
    private final int maxBatch;
    private final ClQueue queue;
    private final OpenClOps ops;
    private final PagedKvOps paged;
    private final BlockPool pool;
    private final OpenClKvStorage storage;
    private final int blockSize;
    private final PagedSequence kv;
    private final List<ClBuffer> buffers = new ArrayList<>();
    private final ClBuffer ids;
    private final ClBuffer x;
    private final ClBuffer xn;
    private final ClBuffer q;
    private final ClBuffer newKeys;
    private final ClBuffer newValues;
    private final ClBuffer attention;
    private final ClBuffer projected;
    private final ClBuffer gate;
    private final ClBuffer up;
    private final ClBuffer partial;
    private final ClBuffer logitsBuffer;
    private final ClBuffer ropeCos;
    private final ClBuffer ropeSin;
    private final ClBuffer planInts;  // per layer: rows of the new entries, then the packed page plan
    private final int planStride;     // ints per layer in planInts
    private final int[] planHost;
    private final float[] logits;
    private final float scale;

    private final SharedPrefix prefix; // tokens fed, and this sequence's side of prefix sharing
    private boolean compacted;        // an eviction ran: KV entries no longer match positions
    private final KvEvictor evictor;  // null: keep everything
    private final int observe;        // queries kept per layer for scoring policies
    private final ClBuffer recentQueries; // [layers, observe, qDim], ring by position
    private final ClBuffer window;        // the observation window of one layer, oldest first
    private final ClBuffer windowStats;
    private final ClBuffer entryScores;
    private final ClBuffer scorePages;
    private int observedFrom;
    private EvictionReport lastEviction;

    private int position;
    private boolean closed;

    OpenClLlamaSession(OpenClLlamaModel model, ClContext context, LlamaConfig config, OpenClWeights weights,
                       int maxTokens, EvictionPolicy policy) {
        this.model = model;
        this.c = config;
        this.w = weights;
        this.maxTokens = maxTokens;
        this.maxBatch = Math.min(maxTokens, MAX_BATCH);
        this.scale = (float) (1 / Math.sqrt(c.headDim()));
        this.logits = new float[c.vocabSize()];
        this.pool = model.kvPool();
        this.storage = (OpenClKvStorage) pool.storage();
        this.blockSize = pool.layout().blockSize();
        this.evictor = policy instanceof EvictionPolicy.None ? null : new KvEvictor(policy, c.numHeads(), c.numLayers());
        this.observe = policy.observationWindow();
        int maxPages = pool.layout().blocksFor(maxTokens);
        this.planStride = maxBatch + 5 + maxPages;
        this.planHost = new int[planStride * c.numLayers()];
        this.queue = context.createQueue();
        OpenClOps createdOps = null;
        PagedKvOps createdPaged = null;
        try {
            createdOps = new OpenClOps(context, queue, c.headDim());
            createdPaged = new PagedKvOps(context, queue, c.headDim());
            if (blockSize > createdPaged.maxDecodeChunk()) {
                throw new FlashjException("KV block size " + blockSize + " exceeds the " + createdPaged.maxDecodeChunk()
                        + " entries a decode split holds on " + context.device().describe());
            }
            ids = buffer(context, 4L * maxBatch, "token ids");
            x = buffer(context, 4L * maxBatch * c.dim(), "residual stream");
            xn = buffer(context, 4L * maxBatch * c.dim(), "normalised activations");
            q = buffer(context, 4L * maxBatch * c.qDim(), "queries");
            newKeys = buffer(context, 4L * maxBatch * c.kvDim(), "new keys");
            newValues = buffer(context, 4L * maxBatch * c.kvDim(), "new values");
            attention = buffer(context, 4L * maxBatch * c.qDim(), "attention output");
            projected = buffer(context, 4L * maxBatch * c.dim(), "projection output");
            gate = buffer(context, 4L * maxBatch * c.hiddenDim(), "ffn gate");
            up = buffer(context, 4L * maxBatch * c.hiddenDim(), "ffn up");
            partial = buffer(context, 4L * PagedKvOps.decodePartialFloats(1, c.numHeads(), c.headDim(), maxTokens,
                    blockSize), "split-KV decode partials");
            logitsBuffer = buffer(context, 4L * c.vocabSize(), "logits");
            planInts = buffer(context, 4L * planHost.length, "page plans");
            RopeTable table = RopeTable.create(c.rope(), maxTokens);
            ropeCos = buffer(context, 4L * table.cos().length, "rope cos table");
            ropeSin = buffer(context, 4L * table.sin().length, "rope sin table");
            queue.writeFloats(ropeCos, 0, table.cos());
            queue.writeFloats(ropeSin, 0, table.sin());
            if (observe > 0) {
                recentQueries = buffer(context, 4L * c.numLayers() * observe * c.qDim(), "recent queries");
                window = buffer(context, 4L * observe * c.qDim(), "observation window");
                windowStats = buffer(context, 8L * observe * c.numHeads(), "observation softmax statistics");
                entryScores = buffer(context, 4L * c.numKvHeads() * maxTokens, "observation scores");
                scorePages = buffer(context, 4L * maxPages, "scored layer's pages");
            } else {
                recentQueries = window = windowStats = entryScores = scorePages = null;
            }
        } catch (RuntimeException e) {
            buffers.forEach(ClBuffer::close);
            if (createdPaged != null) {
                createdPaged.close();
            }
            if (createdOps != null) {
                createdOps.close();
            }
            queue.close();
            throw e;
        }
        this.ops = createdOps;
        this.paged = createdPaged;
        this.kv = new PagedSequence(pool);
        this.prefix = new SharedPrefix(pool, kv, c.numLayers(), maxTokens);
    }

    private ClBuffer buffer(ClContext context, long bytes, String purpose) {
        ClBuffer b = context.createBuffer(Math.max(4, bytes), purpose);
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
        ensureOpen();
        if (tokens == null || count <= 0 || offset < 0 || offset > tokens.length - count) {
            throw new FlashjException("feed: " + count + " tokens at offset " + offset + " of an array of "
                    + (tokens == null ? "null" : tokens.length));
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
        prefix.record(tokens, offset, position, count);
        int done = attachSharedPrefix(count);
        while (done < count) {
            int n = Math.min(maxBatch, count - done);
            forward(tokens, offset + done, n, done + n == count);
            done += n;
        }
        // Blocks are offered to other sessions (and compacted) only once this queue has written them.
        queue.finish();
        publishFullBlocks();
        evictIfOverBudget(count == 1);
        return logits;
    }

    /** Runs {@code n} tokens at the current position through every layer; the last batch also computes logits. */
    private void forward(int[] tokens, int offset, int n, boolean wantLogits) {
        reserve(n);
        int[] batch = new int[n];
        System.arraycopy(tokens, offset, batch, 0, n);
        queue.writeInts(ids, 0, batch);
        // Host bookkeeping first: where each layer's new entries go, and the pages attention reads.
        DevicePagePlan[] plans = new DevicePagePlan[c.numLayers()];
        int[] queries = {n};
        for (int l = 0; l < c.numLayers(); l++) {
            int base = l * planStride;
            kv.appendRows(l, n, planHost, base);
            kv.commitAppended(l, n);
            PagePlan plan = PagePlan.of(blockSize, queries, List.of(kv.table(l)));
            plans[l] = DevicePagePlan.pack(plan, planHost, base + n, planInts);
        }
        queue.writeInts(planInts, 0, planHost);
        int dim = c.dim();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        ops.embedding(w.tokenEmbedding, ids, x, n);
        for (int l = 0; l < c.numLayers(); l++) {
            LayerWeights lw = w.layers.get(l);
            ops.rmsNorm(x, 0, lw.attentionNorm(), xn, 0, n, dim, c.rmsNormEps());
            ops.matmul(lw.query(), xn, 0, q, 0, n);
            ops.matmul(lw.key(), xn, 0, newKeys, 0, n);
            ops.matmul(lw.value(), xn, 0, newValues, 0, n);
            if (lw.queryBias() != null) {
                ops.addBias(q, 0, lw.queryBias(), n, qDim);
                ops.addBias(newKeys, 0, lw.keyBias(), n, kvDim);
                ops.addBias(newValues, 0, lw.valueBias(), n, kvDim);
            }
            ops.rope(q, 0, ropeCos, ropeSin, n, c.numHeads(), c.headDim(), c.rope().rotaryDims(), position, c.rope().style());
            ops.rope(newKeys, 0, ropeCos, ropeSin, n, c.numKvHeads(), c.headDim(), c.rope().rotaryDims(), position,
                    c.rope().style());
            paged.append(newKeys, newValues, 0, planInts, l * planStride, n, kvDim, storage.keys(), storage.values());
            for (int b = Math.max(0, n - observe); b < n; b++) {
                long slot = (long) l * observe + (position + b) % observe;
                queue.copy(q, 4L * b * qDim, recentQueries, 4L * slot * qDim, 4L * qDim);
            }
            if (n == 1) {
                paged.decode(q, storage.keys(), storage.values(), partial, attention, plans[l], c.numHeads(),
                        c.numKvHeads(), c.headDim(), scale);
            } else {
                paged.prefill(q, storage.keys(), storage.values(), attention, plans[l], c.numHeads(), c.numKvHeads(),
                        c.headDim(), scale);
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
        } else {
            // The next batch rewrites the page plans this one's kernels still read.
            queue.finish();
        }
    }

    private void reserve(int n) {
        Allocation a = kv.reserve(n);
        if (a instanceof Allocation.OutOfBlocks shortage) {
            throw new FlashjException(shortage.describe(pool.layout()) + " (session at position " + position
                    + "; raise the KV budget or run fewer sequences at once)");
        }
    }

    /**
     * Attaches published blocks matching the next full blocks of the {@code count} tokens just
     * recorded (leaving the last token, and a scoring policy's window, to compute); returns the tokens covered.
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
        Optional<EvictionReport> report = evictor.apply(kv, (seq, layer, count) -> score(layer, observed, count),
                observed, decode);
        if (report.isPresent()) {
            lastEviction = report.get();
            compacted = true;
        }
    }

    /**
     * Observation scores of {@code layer} on the device: the first {@code count} of the last {@code observed}
     * queries (oldest first) against every entry of the layer.
     */
    private double[][] score(int layer, int observed, int count) {
        int qDim = c.qDim();
        for (int i = 0; i < count; i++) {
            int pos = position - observed + i;
            long slot = (long) layer * observe + pos % observe;
            queue.copy(recentQueries, 4L * slot * qDim, window, 4L * i * qDim, 4L * qDim);
        }
        int n = kv.entries(layer);
        int[] pages = new int[pool.layout().blocksFor(n)];
        kv.table(layer).copyUsedBlocks(blockSize, pages, 0);
        queue.writeInts(scorePages, 0, pages);
        paged.observationScores(window, storage.keys(), scorePages, 0, blockSize, n, count, c.numHeads(),
                c.numKvHeads(), c.headDim(), scale, windowStats, entryScores);
        float[] flat = queue.readFloats(entryScores, 0, c.numKvHeads() * n);
        double[][] scores = new double[c.numKvHeads()][n];
        for (int g = 0; g < scores.length; g++) {
            for (int p = 0; p < n; p++) {
                scores[g][p] = flat[g * n + p];
            }
        }
        return scores;
    }

    @Override
    public void truncate(int newPosition) {
        ensureOpen();
        if (newPosition < 0 || newPosition > position) {
            throw new FlashjException("truncate: position " + newPosition + " outside 0.." + position);
        }
        if (newPosition == position) {
            return;
        }
        if (compacted) {
            // Evicted entries are gone: rebuild the shorter sequence from its tokens.
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
    Optional<EvictionReport> lastEviction() {
        return Optional.ofNullable(lastEviction);
    }

    /** The session's eviction machinery, if it has a policy. */
    Optional<KvEvictor> evictor() {
        return Optional.ofNullable(evictor);
    }

    /** KV entries held in {@code layer} (the position, unless an eviction policy dropped some). */
    int kvEntries(int layer) {
        return kv.entries(layer);
    }

    /** The session's paged KV cache (for tests comparing kept entries with the CPU backend). */
    PagedSequence kvCache() {
        return kv;
    }

    // Batched decoding: OpenClBatchDecoder runs the layers for many sessions and keeps each one's
    // bookkeeping (history, position, prefix publishing) here, exactly as feed does for one token.

    OpenClLlamaModel model() {
        return model;
    }

    /** Room for {@code n} more tokens; running out is a result, not an exception. */
    Allocation tryReserve(int n) {
        ensureOpen();
        return kv.reserve(n);
    }

    /** Checks that {@code token} can be decoded next in a batch (nothing changes). */
    void checkBatchDecode(int token) {
        ensureOpen();
        if (position >= maxTokens) {
            throw new FlashjException("feed: 1 token at position " + position + " exceeds the session's " + maxTokens
                    + " tokens");
        }
        if (token < 0 || token >= c.vocabSize()) {
            throw new FlashjException("feed: token id " + token + " is outside the vocabulary 0.." + (c.vocabSize() - 1));
        }
        if (evictor != null) {
            throw new FlashjException("batched decoding does not run KV eviction policies; decode this session alone");
        }
    }

    /** Records the token about to be decoded; returns its position. */
    int beginBatchDecode(int token) {
        prefix.record(token, position);
        return position;
    }

    /** The token's entries are in every layer (the decoder's queue has finished): advance and publish full blocks. */
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

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.finish();
        kv.close();
        buffers.forEach(ClBuffer::close);
        paged.close();
        ops.close();
        queue.close();
    }
}
