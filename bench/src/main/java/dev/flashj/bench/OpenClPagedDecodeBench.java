package dev.flashj.bench;

import dev.flashj.kv.PagePlan;
import dev.flashj.opencl.kernels.DevicePagePlan;
import dev.flashj.opencl.kernels.OpenClOps;
import dev.flashj.opencl.kernels.PagedKvOps;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.opencl.runtime.OpenCl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * One layer's decode attention on the first OpenCL device: the paged split-KV kernel reading keys and
 * values through a block table (pages in shuffled order, as a busy pool hands them out) against the
 * old dense split-KV kernel over a contiguous cache, for {@code batch} sequences of {@code kvLen}
 * entries (the dense kernel runs once per sequence). Dense and paged runs alternate, so that load from
 * other processes hits both alike; each figure is the median of the rounds' means.
 *
 * <p>Run from the repository root:
 * <pre>
 * ./mvnw -q -o -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp engine/target/classes:kernels-opencl/target/classes:bench/target/classes \
 *      dev.flashj.bench.OpenClPagedDecodeBench [ordered]
 * </pre>
 */
public final class OpenClPagedDecodeBench {
    private static final int PAGE_SIZE = 16;
    private static final int ROUNDS = 5;

    private OpenClPagedDecodeBench() {
    }

    /** @param args optionally {@code ordered}: pages in table order instead of shuffled (to see what locality costs) */
    public static void main(String[] args) {
        boolean shuffled = args.length == 0 || !args[0].equals("ordered");
        int[][] shapes = {
                // heads, kvHeads, headDim, kvLen, batch
                {8, 2, 64, 512, 1}, {8, 2, 64, 4096, 1}, {32, 8, 128, 4096, 1}, {8, 2, 64, 1024, 8}};
        try (OpenCl cl = OpenCl.open(); ClContext context = cl.createContext(cl.devices().getFirst());
             ClQueue queue = context.createQueue();
             OpenClOps dense = new OpenClOps(context, queue, 128);
             PagedKvOps paged = new PagedKvOps(context, queue, 128)) {
            System.out.println("device: " + context.device().describe() + "; " + paged.tiling() + "; pages "
                    + (shuffled ? "shuffled" : "in order"));
            System.out.println("| heads/kv heads | head dim | kv len | batch | dense µs | paged µs | paged/dense |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (int[] s : shapes) {
                run(context, queue, dense, paged, s[0], s[1], s[2], s[3], s[4], shuffled);
            }
        }
    }

    private static void run(ClContext context, ClQueue queue, OpenClOps dense, PagedKvOps paged, int heads, int kvHeads,
                            int headDim, int kvLen, int batch, boolean shuffled) {
        Random rnd = new Random(kvLen + heads);
        int kvDim = kvHeads * headDim;
        int pagesPerSeq = (kvLen + PAGE_SIZE - 1) / PAGE_SIZE;
        int blocks = batch * pagesPerSeq;
        List<ClBuffer> buffers = new ArrayList<>();
        try {
            ClBuffer q = filled(context, queue, buffers, rnd, batch * heads * headDim);
            ClBuffer out = filled(context, queue, buffers, rnd, batch * heads * headDim);
            ClBuffer[] denseK = new ClBuffer[batch];
            ClBuffer[] denseV = new ClBuffer[batch];
            for (int b = 0; b < batch; b++) {
                denseK[b] = filled(context, queue, buffers, rnd, kvLen * kvDim);
                denseV[b] = filled(context, queue, buffers, rnd, kvLen * kvDim);
            }
            ClBuffer densePartial = track(buffers, context.createBuffer(
                    4L * OpenClOps.decodePartialFloats(heads, headDim, kvLen), "dense partials"));
            ClBuffer kPool = filled(context, queue, buffers, rnd, blocks * PAGE_SIZE * kvDim);
            ClBuffer vPool = filled(context, queue, buffers, rnd, blocks * PAGE_SIZE * kvDim);
            ClBuffer pagedPartial = track(buffers, context.createBuffer(
                    4L * PagedKvOps.decodePartialFloats(batch, heads, headDim, kvLen, PAGE_SIZE), "paged partials"));
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < blocks; i++) {
                ids.add(i);
            }
            if (shuffled) {
                Collections.shuffle(ids, rnd);
            }
            int[] qo = new int[batch + 1];
            int[] indptr = new int[batch + 1];
            int[] last = new int[batch];
            for (int b = 0; b < batch; b++) {
                qo[b + 1] = b + 1;
                indptr[b + 1] = indptr[b] + pagesPerSeq;
                last[b] = (kvLen - 1) % PAGE_SIZE + 1;
            }
            PagePlan plan = new PagePlan(PAGE_SIZE, qo, indptr, ids.stream().mapToInt(Integer::intValue).toArray(), last);
            int[] packed = new int[DevicePagePlan.packedLength(plan)];
            ClBuffer ints = track(buffers, context.createBuffer(4L * packed.length, "plan"));
            DevicePagePlan devicePlan = DevicePagePlan.pack(plan, packed, 0, ints);
            queue.writeInts(ints, 0, packed);
            float scale = (float) (1 / Math.sqrt(headDim));
            int chunk = dense.decodeChunk(kvLen, heads);
            int qDim = heads * headDim;
            Runnable denseCall = () -> {
                for (int b = 0; b < batch; b++) {
                    dense.decodeAttention(q, b * qDim, denseK[b], denseV[b], densePartial, out, b * qDim, heads, kvHeads,
                            headDim, kvLen, chunk, scale);
                }
            };
            Runnable pagedCall = () -> paged.decode(q, kPool, vPool, pagedPartial, out, devicePlan, heads, kvHeads,
                    headDim, scale);
            int iterations = (int) Math.max(3, Math.min(50, 1_000_000L / ((long) kvLen * kvDim * batch / 64)));
            time(queue, denseCall, 3);
            time(queue, pagedCall, 3);
            double[] denseUs = new double[ROUNDS];
            double[] pagedUs = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                denseUs[r] = time(queue, denseCall, iterations);
                pagedUs[r] = time(queue, pagedCall, iterations);
            }
            double d = median(denseUs);
            double p = median(pagedUs);
            System.out.println(String.format(Locale.ROOT, "| %d/%d | %d | %d | %d | %.1f | %.1f | %.2f |", heads, kvHeads,
                    headDim, kvLen, batch, d, p, p / d));
        } finally {
            buffers.forEach(ClBuffer::close);
        }
    }

    private static ClBuffer track(List<ClBuffer> buffers, ClBuffer b) {
        buffers.add(b);
        return b;
    }

    private static ClBuffer filled(ClContext context, ClQueue queue, List<ClBuffer> buffers, Random rnd, int floats) {
        float[] data = new float[floats];
        for (int i = 0; i < floats; i++) {
            data[i] = (float) (rnd.nextDouble() * 2 - 1) * 0.5f;
        }
        ClBuffer b = track(buffers, context.createBuffer(4L * floats, "bench data"));
        queue.writeFloats(b, 0, data);
        return b;
    }

    /** Microseconds per call: {@code n} calls enqueued back to back, then a wait for the queue. */
    private static double time(ClQueue queue, Runnable call, int n) {
        queue.finish();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            call.run();
        }
        queue.finish();
        return (System.nanoTime() - start) / 1e3 / n;
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
