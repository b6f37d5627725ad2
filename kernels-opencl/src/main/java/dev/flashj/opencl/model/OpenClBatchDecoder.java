package dev.flashj.opencl.model;

import dev.flashj.FlashjException;
import dev.flashj.cpu.RopeTable;
import dev.flashj.kv.Allocation;
import dev.flashj.kv.BlockPool;
import dev.flashj.kv.BlockTable;
import dev.flashj.kv.PagePlan;
import dev.flashj.model.BatchDecoder;
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
import java.util.Arrays;
import java.util.List;

/**
 * One decode step for up to {@code maxBatch} {@link OpenClLlamaSession}s of one {@link OpenClLlamaModel},
 * on its own queue: the recipe of the session's forward pass with one row per sequence. Each matrix is one
 * matmul launch over all rows; each layer appends every sequence's key and value through its block table
 * and runs one split-KV decode over all sequences' pages. Rows of up to 4 sequences go through the
 * matrix-vector kernel a lone decode uses, whose sums do not depend on the row count, so such steps give
 * each sequence exactly its lone logits; larger batches use the tiled kernel, whose sums are rounded in
 * another order. Device buffers for {@code maxBatch} rows are allocated once and freed with the model.
 */
final class OpenClBatchDecoder implements BatchDecoder, AutoCloseable {
    private final OpenClLlamaModel model;
    private final LlamaConfig c;
    private final OpenClWeights w;
    private final BlockPool pool;
    private final OpenClKvStorage storage;
    private final int blockSize;
    private final int maxBatch;
    private final float scale;
    private final ClContext context;
    private final ClQueue queue;
    private int planStride;           // ints per layer in planInts this step
    private final OpenClOps ops;
    private final PagedKvOps paged;
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
    private ClBuffer partial;         // grown to the longest sequences seen, not sized for the context length
    private final ClBuffer logitsBuffer;
    private final ClBuffer ropeCos;
    private final ClBuffer ropeSin;
    private ClBuffer planInts;        // per layer: the pool row of each sequence's new entry, then the page plan
    private int[] planHost;
    private final int[] positions;
    private final int[] oneQueryEach;
    private boolean closed;

    OpenClBatchDecoder(OpenClLlamaModel model, ClContext context, OpenClWeights weights, int maxBatch) {
        if (maxBatch <= 0) {
            throw new FlashjException("batch size must be positive, got " + maxBatch);
        }
        this.model = model;
        this.c = model.config();
        this.w = weights;
        this.pool = model.kvPool();
        this.storage = (OpenClKvStorage) pool.storage();
        this.blockSize = pool.layout().blockSize();
        this.maxBatch = maxBatch;
        this.scale = (float) (1 / Math.sqrt(c.headDim()));
        this.positions = new int[maxBatch];
        this.oneQueryEach = new int[maxBatch];
        Arrays.fill(oneQueryEach, 1);
        int contextLength = c.contextLength();
        this.context = context;
        this.queue = context.createQueue();
        OpenClOps createdOps = null;
        PagedKvOps createdPaged = null;
        try {
            createdOps = new OpenClOps(context, queue, c.headDim());
            createdPaged = new PagedKvOps(context, queue, c.headDim());
            ids = buffer(context, 4L * maxBatch, "batch token ids");
            x = buffer(context, 4L * maxBatch * c.dim(), "batch residual stream");
            xn = buffer(context, 4L * maxBatch * c.dim(), "batch normalised activations");
            q = buffer(context, 4L * maxBatch * c.qDim(), "batch queries");
            newKeys = buffer(context, 4L * maxBatch * c.kvDim(), "batch new keys");
            newValues = buffer(context, 4L * maxBatch * c.kvDim(), "batch new values");
            attention = buffer(context, 4L * maxBatch * c.qDim(), "batch attention output");
            projected = buffer(context, 4L * maxBatch * c.dim(), "batch projection output");
            gate = buffer(context, 4L * maxBatch * c.hiddenDim(), "batch ffn gate");
            up = buffer(context, 4L * maxBatch * c.hiddenDim(), "batch ffn up");
            partial = buffer(context, 4L * PagedKvOps.decodePartialFloats(maxBatch, c.numHeads(), c.headDim(),
                    blockSize, blockSize), "batch split-KV decode partials");
            logitsBuffer = buffer(context, 4L * maxBatch * c.vocabSize(), "batch logits");
            planHost = new int[c.numLayers() * (5 * maxBatch + 2)];
            planInts = buffer(context, 4L * planHost.length, "batch page plans");
            RopeTable table = RopeTable.create(c.rope(), contextLength);
            ropeCos = buffer(context, 4L * table.cos().length, "batch rope cos table");
            ropeSin = buffer(context, 4L * table.sin().length, "batch rope sin table");
            queue.writeFloats(ropeCos, 0, table.cos());
            queue.writeFloats(ropeSin, 0, table.sin());
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
    }

    /** A larger buffer in place of {@code old} (whose contents are not kept). */
    private ClBuffer replace(ClBuffer old, long bytes, String purpose) {
        queue.finish();
        buffers.remove(old);
        old.close();
        return buffer(context, bytes, purpose);
    }

    private ClBuffer buffer(ClContext context, long bytes, String purpose) {
        ClBuffer b = context.createBuffer(Math.max(4, bytes), purpose);
        buffers.add(b);
        return b;
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    @Override
    public BlockPool pool() {
        return pool;
    }

    @Override
    public Allocation reserve(ModelSession session, int tokens) {
        return own(session).tryReserve(tokens);
    }

    @Override
    public synchronized void decode(List<? extends ModelSession> sessions, int[] tokens, float[][] out) {
        int n = sessions.size();
        if (n > maxBatch || tokens.length < n || out.length < n) {
            throw new IllegalArgumentException("decode of " + n + " sessions with " + tokens.length + " tokens and "
                    + out.length + " logit rows (batch limit " + maxBatch + ")");
        }
        if (closed) {
            throw new FlashjException("the model of this batch decoder is closed");
        }
        if (n == 0) {
            return;
        }
        OpenClLlamaSession[] batch = new OpenClLlamaSession[n];
        for (int i = 0; i < n; i++) {
            batch[i] = own(sessions.get(i));
            batch[i].checkBatchDecode(tokens[i]);
            for (int j = 0; j < i; j++) {
                if (batch[j] == batch[i]) {
                    throw new IllegalArgumentException("session " + i + " appears twice in one decode step");
                }
            }
        }
        DevicePagePlan[] plans = planAppends(batch, n);
        for (int i = 0; i < n; i++) {
            positions[i] = batch[i].beginBatchDecode(tokens[i]);
        }
        queue.writeInts(ids, 0, Arrays.copyOf(tokens, n));
        forwardLayers(plans, n);
        int vocab = c.vocabSize();
        ops.rmsNorm(x, 0, w.outputNorm, xn, 0, n, c.dim(), c.rmsNormEps());
        ops.matmul(w.output, xn, 0, logitsBuffer, 0, n);
        float[] read = queue.readFloats(logitsBuffer, 0, n * vocab);
        for (int i = 0; i < n; i++) {
            System.arraycopy(read, i * vocab, out[i], 0, vocab);
            batch[i].endBatchDecode();
        }
    }

    /**
     * Host bookkeeping for the step, uploaded to the device: each layer's pool row for every sequence's new
     * entry, then the page plan attention reads. Every row is looked up before any is counted, so a missing
     * reservation throws with nothing changed.
     */
    private DevicePagePlan[] planAppends(OpenClLlamaSession[] batch, int n) {
        int layers = c.numLayers();
        int maxEntries = 0;
        int pages = 0;
        for (int i = 0; i < n; i++) {
            int entries = batch[i].kvCache().entries(0) + 1;
            maxEntries = Math.max(maxEntries, entries);
            pages += pool.layout().blocksFor(entries);
        }
        int stride = n + 3 * n + 2 + pages;
        if (planHost.length < stride * layers) {
            planHost = new int[2 * stride * layers];
            planInts = replace(planInts, 4L * planHost.length, "batch page plans");
        }
        long partialBytes = 4L * PagedKvOps.decodePartialFloats(n, c.numHeads(), c.headDim(), maxEntries, blockSize);
        if (partial.byteSize() < partialBytes) {
            partial = replace(partial, 2 * partialBytes, "batch split-KV decode partials");
        }
        planStride = stride;
        for (int l = 0; l < layers; l++) {
            for (int i = 0; i < n; i++) {
                batch[i].kvCache().appendRows(l, 1, planHost, l * planStride + i);
            }
        }
        DevicePagePlan[] plans = new DevicePagePlan[layers];
        int[] queries = Arrays.copyOf(oneQueryEach, n);
        List<BlockTable> tables = new ArrayList<>(n);
        for (int l = 0; l < layers; l++) {
            tables.clear();
            for (int i = 0; i < n; i++) {
                batch[i].kvCache().commitAppended(l, 1);
                tables.add(batch[i].kvCache().table(l));
            }
            plans[l] = DevicePagePlan.pack(PagePlan.of(blockSize, queries, tables), planHost, l * planStride + n,
                    planInts);
        }
        queue.writeInts(planInts, 0, planHost);
        return plans;
    }

    private OpenClLlamaSession own(ModelSession session) {
        if (!(session instanceof OpenClLlamaSession s) || s.model() != model) {
            throw new IllegalArgumentException("the session was not made by this decoder's model");
        }
        return s;
    }

    /** Every layer for one token per sequence; leaves the residual stream in x. */
    private void forwardLayers(DevicePagePlan[] plans, int n) {
        int dim = c.dim();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        float eps = c.rmsNormEps();
        ops.embedding(w.tokenEmbedding, ids, x, n);
        for (int l = 0; l < c.numLayers(); l++) {
            LayerWeights lw = w.layers.get(l);
            // Attention: projections for the whole batch, RoPE at each sequence's own position.
            ops.rmsNorm(x, 0, lw.attentionNorm(), xn, 0, n, dim, eps);
            ops.matmul(lw.query(), xn, 0, q, 0, n);
            ops.matmul(lw.key(), xn, 0, newKeys, 0, n);
            ops.matmul(lw.value(), xn, 0, newValues, 0, n);
            if (lw.queryBias() != null) {
                ops.addBias(q, 0, lw.queryBias(), n, qDim);
                ops.addBias(newKeys, 0, lw.keyBias(), n, kvDim);
                ops.addBias(newValues, 0, lw.valueBias(), n, kvDim);
            }
            for (int i = 0; i < n; i++) {
                ops.rope(q, i * qDim, ropeCos, ropeSin, 1, c.numHeads(), c.headDim(), c.rope().rotaryDims(),
                        positions[i], c.rope().style());
                ops.rope(newKeys, i * kvDim, ropeCos, ropeSin, 1, c.numKvHeads(), c.headDim(), c.rope().rotaryDims(),
                        positions[i], c.rope().style());
            }
            paged.append(newKeys, newValues, 0, planInts, l * planStride, n, kvDim, storage.keys(), storage.values());
            paged.decode(q, storage.keys(), storage.values(), partial, attention, plans[l], c.numHeads(),
                    c.numKvHeads(), c.headDim(), scale);
            ops.matmul(lw.attentionOutput(), attention, 0, projected, 0, n);
            ops.add(x, projected, x, n * dim);
            // Feed-forward (SwiGLU).
            ops.rmsNorm(x, 0, lw.ffnNorm(), xn, 0, n, dim, eps);
            ops.matmul(lw.gate(), xn, 0, gate, 0, n);
            ops.matmul(lw.up(), xn, 0, up, 0, n);
            ops.siluMul(gate, up, gate, n * c.hiddenDim());
            ops.matmul(lw.down(), gate, 0, projected, 0, n);
            ops.add(x, projected, x, n * dim);
        }
    }

    /** Frees the device buffers (the model does this when it closes). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.finish();
        buffers.forEach(ClBuffer::close);
        paged.close();
        ops.close();
        queue.close();
    }
}
