package dev.flashj.opencl.kernels;

import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClKernel;
import dev.flashj.opencl.runtime.ClQueue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The kernels of quant_matmul.cl (per block format: a matvec for one token, a matvec that decodes
 * each block once for up to {@value OpenClOps#MAX_MATVEC_BATCH} tokens, a tiled matmul for larger
 * batches, an embedding lookup), which dequantize GGUF blocks in the kernel. {@link OpenClOps} makes one on the first quantized matrix it
 * sees, so models without quantized weights never compile the program.
 */
final class QuantKernels implements AutoCloseable {
    private final Map<WeightFormat, ClKernel> matvec = new EnumMap<>(WeightFormat.class);
    private final Map<WeightFormat, ClKernel> matvecMulti = new EnumMap<>(WeightFormat.class);
    private final Map<WeightFormat, ClKernel> matmul = new EnumMap<>(WeightFormat.class);
    private final Map<WeightFormat, ClKernel> embedding = new EnumMap<>(WeightFormat.class);
    private final List<ClKernel> owned = new ArrayList<>();
    private final int tile;
    private final int matvecGroup;
    private final int elementGroup;

    /** @param preferredTile the f16 matmul's tile; halved until every quantized matmul kernel can run it */
    QuantKernels(ClContext context, String options, int preferredTile, int preferredGroup) {
        int t = preferredTile;
        try {
            while (!build(context, options, t)) {
                t /= 2;
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        tile = t;
        long groupLimit = Long.MAX_VALUE;
        long elementLimit = Long.MAX_VALUE;
        for (WeightFormat f : matvec.keySet()) {
            groupLimit = Math.min(groupLimit, Math.min(matvec.get(f).maxWorkGroupSize(),
                    matvecMulti.get(f).maxWorkGroupSize()));
            elementLimit = Math.min(elementLimit, embedding.get(f).maxWorkGroupSize());
        }
        matvecGroup = Integer.highestOneBit((int) Math.min(groupLimit, preferredGroup));
        elementGroup = Integer.highestOneBit((int) Math.min(elementLimit, 64));
    }

    /** Creates every kernel for {@code tile}; false (and nothing kept) if a matmul kernel cannot run tile x tile. */
    private boolean build(ClContext context, String options, int tile) {
        var program = context.program("quant_matmul.cl", options + " -DTILE=" + tile
                + " -DMAX_MATVEC_BATCH=" + OpenClOps.MAX_MATVEC_BATCH);
        for (WeightFormat f : WeightFormat.values()) {
            if (f.isBlockQuantized()) {
                matvec.put(f, own(program.kernel("matvec_" + f.kernelSuffix())));
                matvecMulti.put(f, own(program.kernel("matvec_multi_" + f.kernelSuffix())));
                matmul.put(f, own(program.kernel("matmul_" + f.kernelSuffix())));
                embedding.put(f, own(program.kernel("embedding_" + f.kernelSuffix())));
            }
        }
        boolean fits = tile == 1 || matmul.values().stream().allMatch(k -> k.maxWorkGroupSize() >= (long) tile * tile);
        if (!fits) {
            close();
        }
        return fits;
    }

    private ClKernel own(ClKernel k) {
        owned.add(k);
        return k;
    }

    /** out[outOff + b*rows + r] = W[r, :] . x[xOff + b*cols ..] for b < batch, W block-quantized. */
    void matmul(ClQueue queue, DeviceMatrix w, ClBuffer x, int xOff, ClBuffer out, int outOff, int batch) {
        // A power-of-two group no wider than the row's block count: idle work-items cost time.
        int group = Math.min(matvecGroup, Integer.highestOneBit(w.cols() / 32));
        if (batch == 1) {
            ClKernel k = matvec.get(w.format());
            k.arg(0, w.buffer()).arg(1, w.rows()).arg(2, w.cols()).arg(3, x).arg(4, out).arg(5, xOff).arg(6, outOff)
                    .localArg(7, 4L * group);
            queue.run(k, new long[]{(long) w.rows() * group, 1}, new long[]{group, 1});
        } else if (batch <= OpenClOps.MAX_MATVEC_BATCH) {
            ClKernel k = matvecMulti.get(w.format());
            k.arg(0, w.buffer()).arg(1, w.rows()).arg(2, w.cols()).arg(3, x).arg(4, out).arg(5, batch).arg(6, xOff)
                    .arg(7, outOff).localArg(8, 4L * OpenClOps.MAX_MATVEC_BATCH * group);
            queue.run(k, new long[]{(long) w.rows() * group}, new long[]{group});
        } else {
            ClKernel k = matmul.get(w.format());
            k.arg(0, w.buffer()).arg(1, w.rows()).arg(2, w.cols()).arg(3, x).arg(4, out).arg(5, batch).arg(6, xOff)
                    .arg(7, outOff);
            queue.run(k, new long[]{roundUp(w.rows(), tile), roundUp(batch, tile)}, new long[]{tile, tile});
        }
    }

    /** out[t, :] = table[ids[t], :] dequantized, for t < count. */
    void embedding(ClQueue queue, DeviceMatrix table, ClBuffer ids, ClBuffer out, int count) {
        ClKernel k = embedding.get(table.format());
        k.arg(0, table.buffer()).arg(1, table.rows()).arg(2, table.cols()).arg(3, ids).arg(4, out);
        queue.run(k, new long[]{roundUp(table.cols(), elementGroup), count}, new long[]{elementGroup, 1});
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    @Override
    public void close() {
        for (ClKernel k : owned) {
            k.close();
        }
        owned.clear();
        matvec.clear();
        matvecMulti.clear();
        matmul.clear();
        embedding.clear();
    }
}
