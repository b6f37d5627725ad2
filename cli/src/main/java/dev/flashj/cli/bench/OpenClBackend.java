package dev.flashj.cli.bench;

import dev.flashj.opencl.OpenClDeviceSelector;
import dev.flashj.opencl.kernels.DeviceMatrix;
import dev.flashj.opencl.kernels.OpenClOps;
import dev.flashj.opencl.ops.ClAttentionOps;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClDevice;
import dev.flashj.opencl.runtime.ClEvent;
import dev.flashj.opencl.runtime.ClKernel;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.opencl.runtime.OpenCl;
import dev.flashj.ops.AttentionOps;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static dev.flashj.opencl.bind.ClConstants.CL_PROFILING_COMMAND_END;
import static dev.flashj.opencl.bind.ClConstants.CL_PROFILING_COMMAND_START;

/**
 * One OpenCL device: the model kernels ({@link OpenClOps}: matmul, RMSNorm, RoPE, split decode) on
 * a queue of its own, and the attention ops ({@link ClAttentionOps}) on theirs. Launches are timed
 * with profiling events: from the earliest start to the latest end of the commands the launch
 * enqueued, so host-side launch cost is not counted.
 */
public final class OpenClBackend implements BenchBackend {
    /** The largest head size the decode kernel is built for. */
    static final int MAX_HEAD_DIM = 256;

    private final OpenCl cl;
    private final ClContext context;
    private final ClQueue queue;
    private final OpenClOps ops;
    private final ClAttentionOps attention;

    private OpenClBackend(OpenCl cl, ClContext context, ClQueue queue, OpenClOps ops, ClAttentionOps attention) {
        this.cl = cl;
        this.context = context;
        this.queue = queue;
        this.ops = ops;
        this.attention = attention;
    }

    /** Opens "opencl" (first GPU, else first device) or "opencl:P:D". */
    public static OpenClBackend open(String option) {
        OpenCl cl = OpenCl.open();
        ClContext context = null;
        ClQueue queue = null;
        OpenClOps ops = null;
        try {
            ClDevice device = OpenClDeviceSelector.parse(option).select(cl);
            context = cl.createContext(device);
            queue = context.createQueue();
            ops = new OpenClOps(context, queue, MAX_HEAD_DIM);
            ClAttentionOps attention = ClAttentionOps.open(device.id());
            return new OpenClBackend(cl, context, queue, ops, attention);
        } catch (RuntimeException e) {
            if (ops != null) {
                ops.close();
            }
            if (queue != null) {
                queue.close();
            }
            if (context != null) {
                context.close();
            }
            cl.close();
            throw e;
        }
    }

    public ClContext context() {
        return context;
    }

    public ClQueue queue() {
        return queue;
    }

    public OpenClOps ops() {
        return ops;
    }

    public ClDevice device() {
        return context.device();
    }

    @Override
    public String id() {
        return device().id();
    }

    @Override
    public String description() {
        ClDevice d = device();
        return d.name() + " (" + d.type() + ", " + d.vendor() + ", " + d.deviceVersion() + ", " + d.computeUnits()
                + " compute units)";
    }

    @Override
    public long timeNanos(Runnable launch) {
        ClQueue attentionQueue = attention.queue();
        queue.startRecording();
        attentionQueue.startRecording();
        List<ClEvent> events = new ArrayList<>();
        try {
            launch.run();
        } finally {
            events.addAll(queue.stopRecording());
            events.addAll(attentionQueue.stopRecording());
        }
        try {
            if (events.isEmpty()) {
                throw new IllegalStateException("the op enqueued no kernel to time");
            }
            long start = Long.MAX_VALUE;
            long end = Long.MIN_VALUE;
            for (ClEvent e : events) {
                e.await();
                start = Math.min(start, e.profile(CL_PROFILING_COMMAND_START));
                end = Math.max(end, e.profile(CL_PROFILING_COMMAND_END));
            }
            return end - start;
        } finally {
            events.forEach(ClEvent::close);
        }
    }

    /** A GPU's cache is not reported through FlashJ's binding; 64 MiB exceeds current L2s (an H100 has 50). */
    @Override
    public long cacheBytes() {
        return device().isGpu() ? 64L << 20 : CpuBackend.hostCacheBytes();
    }

    @Override
    public AttentionOps attentionOps() {
        return attention;
    }

    /**
     * Bandwidth: a device-to-device buffer copy (bytes read plus bytes written), best of 5.
     * Compute: the larger of an FMA-only kernel (the arithmetic peak) and the f32 matmul kernel on
     * 1024 x 1024 x 128, each best of 5 (a slow matmul kernel must not lower the ceiling).
     */
    @Override
    public Ceilings measureCeilings(boolean small) {
        long bytes = Math.min(small ? 32L << 20 : 256L << 20, device().maxAllocSize() / 2);
        double bandwidth;
        try (ClBuffer a = context.createBuffer(bytes, "bandwidth source");
             ClBuffer b = context.createBuffer(bytes, "bandwidth target")) {
            queue.fill(a, 1f);
            bandwidth = 2.0 * bytes / (best(() -> queue.copy(a, 0, b, 0, bytes)) / 1e9);
        }
        double peak = fmaPeak(small ? 512 : 4096);
        int rows = small ? 256 : 1024;
        int cols = 1024;
        int batch = small ? 32 : 128;
        double matmul;
        SplittableRandom random = new SplittableRandom(7);
        try (ClBuffer w = context.createBuffer(4L * rows * cols, "ceiling weights");
             ClBuffer x = context.createBuffer(4L * batch * cols, "ceiling activations");
             ClBuffer out = context.createBuffer(4L * batch * rows, "ceiling output")) {
            queue.writeFloats(w, 0, RandomData.floats(random, rows * cols));
            queue.writeFloats(x, 0, RandomData.floats(random, batch * cols));
            DeviceMatrix m = new DeviceMatrix(w, rows, cols, false);
            matmul = 2.0 * rows * cols * batch / (best(() -> ops.matmul(m, x, 0, out, 0, batch)) / 1e9);
        }
        return new Ceilings(bandwidth,
                String.format(Locale.ROOT, "device copy of %d MiB (read + write), profiling events, best of 5", bytes >> 20),
                Math.max(peak, matmul),
                String.format(Locale.ROOT, "max of FMA peak kernel %.1f and matmul_f32 %dx%dx%d %.1f GFLOP/s,"
                        + " profiling events, best of 5", peak / 1e9, rows, cols, batch, matmul / 1e9));
    }

    /** FLOP/s of {@code fma_peak.cl}: enough work-items to fill every compute unit several times. */
    private double fmaPeak(int iterations) {
        String source;
        try (var in = OpenClBackend.class.getResourceAsStream("fma_peak.cl")) {
            source = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException | NullPointerException e) {
            throw new IllegalStateException("fma_peak.cl is missing from the class path", e);
        }
        try (ClKernel kernel = context.programFromSource("fma_peak.cl", source, "-cl-std=CL1.2").kernel("fma_peak")) {
            long group = Math.min(kernel.maxWorkGroupSize(), 256);
            long global = group * Math.max(8, 8L * device().computeUnits());
            try (ClBuffer out = context.createBuffer(4 * global, "fma peak output")) {
                kernel.arg(0, out).arg(1, iterations).arg(2, 0.999f).arg(3, 0.001f);
                long nanos = best(() -> queue.run(kernel, new long[]{global}, new long[]{group}));
                return global * (double) iterations * 8 * 4 * 2 / (nanos / 1e9);
            }
        }
    }

    /** The fastest of 5 timed launches after one untimed one. */
    private long best(Runnable launch) {
        long best = Long.MAX_VALUE;
        for (int pass = 0; pass < 6; pass++) {
            long t = timeNanos(launch);
            if (pass > 0) {
                best = Math.min(best, t);
            }
        }
        return best;
    }

    @Override
    public void close() {
        try {
            queue.finish();
        } finally {
            attention.close();
            ops.close();
            queue.close();
            context.close();
            cl.close();
        }
    }
}
