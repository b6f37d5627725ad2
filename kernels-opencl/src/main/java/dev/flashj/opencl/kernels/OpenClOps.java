package dev.flashj.opencl.kernels;

import dev.flashj.model.RopeStyle;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClDevice;
import dev.flashj.opencl.runtime.ClKernel;
import dev.flashj.opencl.runtime.ClQueue;

import java.util.ArrayList;
import java.util.List;

/**
 * The LLaMA forward pass's device operations on one queue: each method enqueues one or two kernels
 * (asynchronously; a read or {@link ClQueue#finish()} waits). Work-group and tile sizes come from
 * the device's limits (max work-group size, local memory) and each kernel's own work-group limit.
 * Offsets and sizes are in elements. Owns its kernel objects (not thread-safe: one per session);
 * the programs are compiled once per context and build options, and cached by the {@link ClContext}.
 */
public final class OpenClOps implements AutoCloseable {
    private static final String STD = "-cl-std=CL1.2";
    /** The smallest KV chunk of split decode; partial buffers are sized for it. */
    public static final int MIN_DECODE_CHUNK = 32;
    /** Batches up to this size use the matrix-vector kernels, larger ones the tiled matmul. */
    static final int MAX_MATVEC_BATCH = 4;

    private final ClContext context;
    private final ClQueue queue;
    private final ClDevice device;
    private final int maxHeadDim;
    private final List<ClKernel> owned = new ArrayList<>();
    /** The block-quantized kernels, compiled on the first quantized matrix. */
    private QuantKernels quant;

    private final ClKernel embeddingF32;
    private final ClKernel embeddingF16;
    private final ClKernel siluMul;
    private final ClKernel add;
    private final ClKernel addBias;
    private final ClKernel rmsNorm;
    private final ClKernel rope;
    private final ClKernel matvecF32;
    private final ClKernel matvecF16;
    private final ClKernel matmulF32;
    private final ClKernel matmulF16;
    private final ClKernel flash;
    private final ClKernel decodePartial;
    private final ClKernel decodeCombine;

    private final int elementGroup;
    private final int normGroup;
    private final int matvecGroup;
    private final int matmulTile;
    private final int flashTile;
    private final int decodeGroup;
    private final int maxDecodeChunk;

    /**
     * @param maxHeadDim the largest head size attention will see (sizes the per-query private accumulator)
     */
    public OpenClOps(ClContext context, ClQueue queue, int maxHeadDim) {
        if (maxHeadDim <= 0) {
            throw new IllegalArgumentException("maxHeadDim must be positive: " + maxHeadDim);
        }
        this.context = context;
        this.queue = queue;
        this.device = context.device();
        this.maxHeadDim = maxHeadDim;
        try {
            var elementwise = context.program("elementwise.cl", STD);
            embeddingF32 = own(elementwise.kernel("embedding_f32"));
            embeddingF16 = own(elementwise.kernel("embedding_f16"));
            siluMul = own(elementwise.kernel("silu_mul"));
            add = own(elementwise.kernel("add"));
            addBias = own(elementwise.kernel("add_bias"));
            rmsNorm = own(context.program("rmsnorm.cl", STD).kernel("rmsnorm"));
            rope = own(context.program("rope.cl", STD).kernel("rope"));

            int tile = matmulTileFor(device);
            ClKernel[] mm = matmulKernels(context, tile);
            while (mm[2].maxWorkGroupSize() < (long) tile * tile || mm[3].maxWorkGroupSize() < (long) tile * tile) {
                for (ClKernel k : mm) {
                    k.close();
                }
                tile /= 2;
                mm = matmulKernels(context, tile);
            }
            matmulTile = tile;
            matvecF32 = own(mm[0]);
            matvecF16 = own(mm[1]);
            matmulF32 = own(mm[2]);
            matmulF16 = own(mm[3]);

            var attention = context.program("attention.cl", STD + " -DMAX_HEAD_DIM=" + maxHeadDim);
            flash = own(attention.kernel("flash_attention"));
            decodePartial = own(attention.kernel("decode_partial"));
            decodeCombine = own(attention.kernel("decode_combine"));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        elementGroup = groupFor(Math.min(add.maxWorkGroupSize(), Math.min(siluMul.maxWorkGroupSize(),
                Math.min(embeddingF32.maxWorkGroupSize(), Math.min(embeddingF16.maxWorkGroupSize(), addBias.maxWorkGroupSize())))), 64);
        normGroup = groupFor(rmsNorm.maxWorkGroupSize(), 256);
        matvecGroup = groupFor(Math.min(matvecF32.maxWorkGroupSize(), matvecF16.maxWorkGroupSize()), 256);
        int ft = groupFor(flash.maxWorkGroupSize(), 64);
        // Two key/value tiles of ft * maxHeadDim floats must fit in local memory, with room to spare.
        while (ft > 1 && 2L * ft * maxHeadDim * 4 > device.localMemSize() - 1024) {
            ft /= 2;
        }
        flashTile = ft;
        decodeGroup = groupFor(decodePartial.maxWorkGroupSize(), 128);
        long chunkRoom = (device.localMemSize() - 1024 - 4L * (maxHeadDim + decodeGroup)) / 4;
        maxDecodeChunk = (int) Math.max(MIN_DECODE_CHUNK, Math.min(1024, chunkRoom / MIN_DECODE_CHUNK * MIN_DECODE_CHUNK));
    }

    private ClKernel own(ClKernel k) {
        owned.add(k);
        return k;
    }

    private static ClKernel[] matmulKernels(ClContext context, int tile) {
        var p = context.program("matmul.cl", STD + " -DTILE=" + tile);
        return new ClKernel[]{p.kernel("matvec_f32"), p.kernel("matvec_f16"), p.kernel("matmul_f32"), p.kernel("matmul_f16")};
    }

    /** The largest of 16, 8, 4, 2, 1 whose square fits the work-group limit and whose two tiles fit local memory. */
    static int matmulTileFor(ClDevice device) {
        int t = 16;
        while (t > 1 && ((long) t * t > device.maxWorkGroupSize() || 2L * t * (t + 1) * 4 > device.localMemSize())) {
            t /= 2;
        }
        return t;
    }

    /** The largest power of two at most min(limit, preferred). */
    private static int groupFor(long limit, int preferred) {
        long cap = Math.max(1, Math.min(limit, preferred));
        return Integer.highestOneBit((int) cap);
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /** Tile sizes in use, for display and tests: "matmul 16x16, flash 64, decode 128 (chunk <= 1024)". */
    public String tiling() {
        return "matmul " + matmulTile + "x" + matmulTile + ", matvec " + matvecGroup + ", rmsnorm " + normGroup
                + ", flash tile " + flashTile + ", decode " + decodeGroup + " (chunk <= " + maxDecodeChunk + ")";
    }

    public ClQueue queue() {
        return queue;
    }

    private QuantKernels quant() {
        if (quant == null) {
            quant = new QuantKernels(context, STD, matmulTile, matvecGroup);
        }
        return quant;
    }

    /** out[t, :] = table[ids[t], :] for t < count; table is [vocab, dim] in any {@link WeightFormat}. */
    public void embedding(DeviceMatrix table, ClBuffer ids, ClBuffer out, int count) {
        if (table.format().isBlockQuantized()) {
            quant().embedding(queue, table, ids, out, count);
            return;
        }
        ClKernel k = table.format() == WeightFormat.F16 ? embeddingF16 : embeddingF32;
        k.arg(0, table.buffer()).arg(1, ids).arg(2, out).arg(3, table.cols()).arg(4, count);
        queue.run(k, new long[]{roundUp(table.cols(), elementGroup), count}, new long[]{elementGroup, 1});
    }

    /** out[outOff + row*dim ..] = RMSNorm(x[xOff + row*dim ..]) * w for each of {@code rows} rows. */
    public void rmsNorm(ClBuffer x, int xOff, ClBuffer w, ClBuffer out, int outOff, int rows, int dim, float eps) {
        rmsNorm.arg(0, x).arg(1, xOff).arg(2, w).arg(3, out).arg(4, outOff).arg(5, dim).arg(6, eps)
                .localArg(7, 4L * normGroup);
        queue.run(rmsNorm, new long[]{(long) rows * normGroup}, new long[]{normGroup});
    }

    /**
     * Rotates x = [tokens, heads, headDim] (at xOff) in place; token t at position startPos + t.
     * cos/sin are the [positions, rotaryDims/2] tables of a {@link dev.flashj.cpu.RopeTable}.
     */
    public void rope(ClBuffer x, int xOff, ClBuffer cos, ClBuffer sin, int tokens, int heads, int headDim,
                     int rotaryDims, int startPos, RopeStyle style) {
        int pairs = rotaryDims / 2;
        if (pairs == 0) {
            return;
        }
        rope.arg(0, x).arg(1, xOff).arg(2, cos).arg(3, sin).arg(4, tokens).arg(5, heads).arg(6, headDim)
                .arg(7, rotaryDims).arg(8, startPos).arg(9, style == RopeStyle.HALF ? 1 : 0);
        int g = (int) Math.min(elementGroup, Integer.highestOneBit(pairs) * 2L);
        g = Math.min(g, elementGroup);
        queue.run(rope, new long[]{roundUp(pairs, g), heads, tokens}, new long[]{g, 1, 1});
    }

    /**
     * out[outOff + b*rows + r] = W[r, :] . x[xOff + b*cols ..] for b < batch: a matrix-vector kernel for
     * batches up to {@value #MAX_MATVEC_BATCH}, the tiled matrix kernel above. Block-quantized weights
     * are dequantized inside the kernels (quant_matmul.cl).
     */
    public void matmul(DeviceMatrix w, ClBuffer x, int xOff, ClBuffer out, int outOff, int batch) {
        if (w.format().isBlockQuantized()) {
            quant().matmul(queue, w, x, xOff, out, outOff, batch);
            return;
        }
        boolean f16 = w.format() == WeightFormat.F16;
        if (batch <= MAX_MATVEC_BATCH) {
            ClKernel k = f16 ? matvecF16 : matvecF32;
            k.arg(0, w.buffer()).arg(1, x).arg(2, out).arg(3, w.rows()).arg(4, w.cols()).arg(5, xOff).arg(6, outOff)
                    .localArg(7, 4L * matvecGroup);
            queue.run(k, new long[]{(long) w.rows() * matvecGroup, batch}, new long[]{matvecGroup, 1});
        } else {
            ClKernel k = f16 ? matmulF16 : matmulF32;
            k.arg(0, w.buffer()).arg(1, x).arg(2, out).arg(3, w.rows()).arg(4, w.cols()).arg(5, batch).arg(6, xOff)
                    .arg(7, outOff);
            queue.run(k, new long[]{roundUp(w.rows(), matmulTile), roundUp(batch, matmulTile)},
                    new long[]{matmulTile, matmulTile});
        }
    }

    /** out[i] = silu(gate[i]) * up[i] for i < n. */
    public void siluMul(ClBuffer gate, ClBuffer up, ClBuffer out, int n) {
        siluMul.arg(0, gate).arg(1, up).arg(2, out).arg(3, n);
        queue.run(siluMul, new long[]{roundUp(n, elementGroup)}, new long[]{elementGroup});
    }

    /** out[i] = a[i] + b[i] for i < n (out may be a or b). */
    public void add(ClBuffer a, ClBuffer b, ClBuffer out, int n) {
        add.arg(0, a).arg(1, b).arg(2, out).arg(3, n);
        queue.run(add, new long[]{roundUp(n, elementGroup)}, new long[]{elementGroup});
    }

    /** x[xOff + r*cols + c] += bias[c] for r < rows. */
    public void addBias(ClBuffer x, int xOff, ClBuffer bias, int rows, int cols) {
        addBias.arg(0, x).arg(1, xOff).arg(2, bias).arg(3, rows).arg(4, cols);
        queue.run(addBias, new long[]{roundUp(cols, elementGroup), rows}, new long[]{elementGroup, 1});
    }

    /**
     * Flash attention of q = [tokens, heads, headDim] (at qOff) over one layer's cache k, v =
     * [maxTokens, kvHeads, headDim], keys 0..kvLen-1; query t at position startPos + t. Writes
     * out = [tokens, heads, headDim] at outOff.
     */
    public void attention(ClBuffer q, int qOff, ClBuffer k, ClBuffer v, ClBuffer out, int outOff, int tokens, int heads,
                          int kvHeads, int headDim, int kvLen, int startPos, boolean causal, float scale) {
        checkHeads(heads, kvHeads, headDim, kvLen);
        flash.arg(0, q).arg(1, qOff).arg(2, k).arg(3, v).arg(4, out).arg(5, outOff).arg(6, tokens).arg(7, heads)
                .arg(8, kvHeads).arg(9, headDim).arg(10, kvLen).arg(11, startPos).arg(12, causal ? 1 : 0)
                .arg(13, scale).localArg(14, 4L * flashTile * headDim).localArg(15, 4L * flashTile * headDim);
        queue.run(flash, new long[]{roundUp(tokens, flashTile), heads}, new long[]{flashTile, 1});
    }

    /** The KV chunk split decode uses for {@code kvLen} keys: enough chunks to fill the device, within local memory. */
    public int decodeChunk(int kvLen, int heads) {
        int splits = Math.max(1, (4 * device.computeUnits() + heads - 1) / heads);
        int chunk = (int) roundUp(Math.max(1, (kvLen + splits - 1) / splits), MIN_DECODE_CHUNK);
        return Math.clamp(chunk, MIN_DECODE_CHUNK, maxDecodeChunk);
    }

    /** The largest chunk the decode kernel's local memory holds. */
    public int maxDecodeChunk() {
        return maxDecodeChunk;
    }

    /** Floats a split-decode partial buffer needs for up to {@code maxKvLen} keys and any chunk ≥ the minimum. */
    public static long decodePartialFloats(int heads, int headDim, int maxKvLen) {
        long chunks = (maxKvLen + MIN_DECODE_CHUNK - 1) / MIN_DECODE_CHUNK;
        return Math.max(1, (long) heads * chunks * (headDim + 2));
    }

    /**
     * Split-KV decode of one query token q = [heads, headDim] (at qOff) that sees keys 0..kvLen-1:
     * work-groups take {@code chunk} keys each and write partials, a second kernel combines them
     * into out = [heads, headDim] at outOff.
     */
    public void decodeAttention(ClBuffer q, int qOff, ClBuffer k, ClBuffer v, ClBuffer partial, ClBuffer out, int outOff,
                                int heads, int kvHeads, int headDim, int kvLen, int chunk, float scale) {
        checkHeads(heads, kvHeads, headDim, kvLen);
        if (chunk < 1 || chunk > maxDecodeChunk) {
            throw new IllegalArgumentException("decode chunk " + chunk + " outside 1.." + maxDecodeChunk);
        }
        int numChunks = (kvLen + chunk - 1) / chunk;
        if ((long) heads * numChunks * (headDim + 2) * 4 > partial.byteSize()) {
            throw new IllegalArgumentException("partial buffer too small for " + numChunks + " chunks");
        }
        decodePartial.arg(0, q).arg(1, qOff).arg(2, k).arg(3, v).arg(4, partial).arg(5, heads).arg(6, kvHeads)
                .arg(7, headDim).arg(8, kvLen).arg(9, chunk).arg(10, scale).localArg(11, 4L * headDim)
                .localArg(12, 4L * chunk).localArg(13, 4L * decodeGroup);
        queue.run(decodePartial, new long[]{(long) heads * decodeGroup, numChunks}, new long[]{decodeGroup, 1});
        decodeCombine.arg(0, partial).arg(1, out).arg(2, outOff).arg(3, heads).arg(4, headDim).arg(5, numChunks);
        int g = Math.min(elementGroup, Integer.highestOneBit(headDim) * 2);
        g = Math.min(g, groupFor(decodeCombine.maxWorkGroupSize(), 64));
        queue.run(decodeCombine, new long[]{roundUp(headDim, g), heads}, new long[]{g, 1});
    }

    private void checkHeads(int heads, int kvHeads, int headDim, int kvLen) {
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " is not a multiple of kvHeads " + kvHeads);
        }
        if (headDim <= 0 || headDim > maxHeadDim) {
            throw new IllegalArgumentException("headDim " + headDim + " outside 1.." + maxHeadDim);
        }
        if (kvLen <= 0) {
            throw new IllegalArgumentException("kvLen must be positive: " + kvLen);
        }
    }

    @Override
    public void close() {
        if (quant != null) {
            quant.close();
            quant = null;
        }
        for (ClKernel k : owned) {
            k.close();
        }
        owned.clear();
    }
}
