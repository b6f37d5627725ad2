package dev.flashj.model.cpu;

import dev.flashj.FlashjException;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.MatMul;
import dev.flashj.cpu.Ops;
import dev.flashj.cpu.RmsNorm;
import dev.flashj.cpu.Rope;
import dev.flashj.kv.Allocation;
import dev.flashj.kv.BlockPool;
import dev.flashj.kv.PagePlan;
import dev.flashj.kv.PagedAttention;
import dev.flashj.kv.PagedSequence;
import dev.flashj.model.BatchDecoder;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelSession;
import dev.flashj.tensor.Dequantizer;

import java.util.List;

/**
 * One decode step for up to {@code maxBatch} {@link CpuLlamaSession}s of one {@link CpuLlamaModel}:
 * the LLaMA recipe of {@link CpuLlamaSession} with one row per sequence. Matrices go through
 * {@link MatMul#matmulPerToken}, which reads each weight row once for the whole batch and gives every
 * row the bits of a single-token product; attention runs per sequence over its own block tables with
 * the same plan a lone decode uses. So each sequence gets exactly the logits of {@code feed} with its
 * token alone. Activations for {@code maxBatch} rows are allocated once.
 */
public final class CpuBatchDecoder implements BatchDecoder {
    private static final int[] ONE_QUERY = {1};

    private final CpuLlamaModel model;
    private final LlamaConfig c;
    private final LlamaWeights w;
    private final CpuThreads threads;
    private final BlockPool pool;
    private final int maxBatch;
    private final PagedAttention attention;
    private final int[] positions;

    // Activations, [maxBatch, width] row-major; qOne/attOne hold one sequence's row for attention.
    private final float[] x;
    private final float[] xb;
    private final float[] q;
    private final float[] k;
    private final float[] v;
    private final float[] att;
    private final float[] proj;
    private final float[] gate;
    private final float[] up;
    private final float[] qOne;
    private final float[] attOne;
    private final float[] logits;

    CpuBatchDecoder(CpuLlamaModel model, int maxBatch) {
        if (maxBatch <= 0) {
            throw new FlashjException("batch size must be positive, got " + maxBatch);
        }
        this.model = model;
        this.c = model.config();
        this.w = model.weights();
        this.threads = model.threads();
        this.pool = model.kvPool();
        this.maxBatch = maxBatch;
        this.attention = new PagedAttention(c.numHeads(), c.numKvHeads(), c.headDim(), threads.size());
        this.positions = new int[maxBatch];
        this.x = new float[maxBatch * c.dim()];
        this.xb = new float[maxBatch * c.dim()];
        this.q = new float[maxBatch * c.qDim()];
        this.k = new float[maxBatch * c.kvDim()];
        this.v = new float[maxBatch * c.kvDim()];
        this.att = new float[maxBatch * c.qDim()];
        this.proj = new float[maxBatch * c.dim()];
        this.gate = new float[maxBatch * c.hiddenDim()];
        this.up = new float[maxBatch * c.hiddenDim()];
        this.qOne = new float[c.qDim()];
        this.attOne = new float[c.qDim()];
        this.logits = new float[maxBatch * c.vocabSize()];
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
    public void decode(List<? extends ModelSession> sessions, int[] tokens, float[][] out) {
        int n = sessions.size();
        if (n > maxBatch || tokens.length < n || out.length < n) {
            throw new IllegalArgumentException("decode of " + n + " sessions with " + tokens.length + " tokens and "
                    + out.length + " logit rows (batch limit " + maxBatch + ")");
        }
        if (n == 0) {
            return;
        }
        CpuLlamaSession[] batch = new CpuLlamaSession[n];
        for (int i = 0; i < n; i++) {
            batch[i] = own(sessions.get(i));
            batch[i].checkBatchDecode(tokens[i]);
            for (int j = 0; j < i; j++) {
                if (batch[j] == batch[i]) {
                    throw new IllegalArgumentException("session " + i + " appears twice in one decode step");
                }
            }
        }
        for (int i = 0; i < n; i++) {
            positions[i] = batch[i].beginBatchDecode(tokens[i]);
        }
        forwardLayers(batch, tokens, n);
        int dim = c.dim();
        int vocab = c.vocabSize();
        RmsNorm.applyRows(x, 0, w.outputNorm(), c.rmsNormEps(), xb, 0, dim, n);
        MatMul.matmulPerToken(threads, w.output(), xb, 0, n, logits, 0);
        for (int i = 0; i < n; i++) {
            System.arraycopy(logits, i * vocab, out[i], 0, vocab);
            batch[i].endBatchDecode();
        }
    }

    private CpuLlamaSession own(ModelSession session) {
        if (!(session instanceof CpuLlamaSession s) || s.model() != model) {
            throw new IllegalArgumentException("the session was not made by this decoder's model");
        }
        return s;
    }

    /** All blocks for one token per sequence; leaves the residual stream in x. */
    private void forwardLayers(CpuLlamaSession[] batch, int[] tokens, int n) {
        int dim = c.dim();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        int hidden = c.hiddenDim();
        float eps = c.rmsNormEps();
        int blockSize = pool.layout().blockSize();
        for (int i = 0; i < n; i++) {
            Dequantizer.dequantize(w.tokenEmbedding(), (long) tokens[i] * dim, x, i * dim, dim);
        }
        for (int l = 0; l < c.numLayers(); l++) {
            LayerWeights lw = w.layers().get(l);
            // Attention: projections for the whole batch, then each sequence over its own cache.
            RmsNorm.applyRows(x, 0, lw.attentionNorm(), eps, xb, 0, dim, n);
            MatMul.matmulPerToken(threads, lw.query(), xb, 0, n, q, 0);
            MatMul.matmulPerToken(threads, lw.key(), xb, 0, n, k, 0);
            MatMul.matmulPerToken(threads, lw.value(), xb, 0, n, v, 0);
            for (int i = 0; i < n; i++) {
                if (lw.hasBiases()) {
                    Ops.add(lw.queryBias(), 0, q, i * qDim, qDim);
                    Ops.add(lw.keyBias(), 0, k, i * kvDim, kvDim);
                    Ops.add(lw.valueBias(), 0, v, i * kvDim, kvDim);
                }
                Rope.applyRows(q, i * qDim, 1, c.numHeads(), c.headDim(), c.rope().style(), model.rope(), positions[i]);
                Rope.applyRows(k, i * kvDim, 1, c.numKvHeads(), c.headDim(), c.rope().style(), model.rope(), positions[i]);
                PagedSequence kv = batch[i].kvCache();
                kv.append(l, k, v, i * kvDim, 1);
                System.arraycopy(q, i * qDim, qOne, 0, qDim);
                attention.run(threads, pool, PagePlan.of(blockSize, ONE_QUERY, List.of(kv.table(l))), qOne, attOne);
                System.arraycopy(attOne, 0, att, i * qDim, qDim);
            }
            MatMul.matmulPerToken(threads, lw.attentionOutput(), att, 0, n, proj, 0);
            Ops.add(proj, 0, x, 0, n * dim);
            // Feed-forward (SwiGLU).
            RmsNorm.applyRows(x, 0, lw.ffnNorm(), eps, xb, 0, dim, n);
            MatMul.matmulPerToken(threads, lw.ffnGate(), xb, 0, n, gate, 0);
            MatMul.matmulPerToken(threads, lw.ffnUp(), xb, 0, n, up, 0);
            Ops.siluMul(gate, 0, up, 0, n * hidden);
            MatMul.matmulPerToken(threads, lw.ffnDown(), gate, 0, n, proj, 0);
            Ops.add(proj, 0, x, 0, n * dim);
        }
    }
}
