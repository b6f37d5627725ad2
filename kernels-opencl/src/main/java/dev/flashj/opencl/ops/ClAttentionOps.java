package dev.flashj.opencl.ops;

import dev.flashj.FlashjException;
import dev.flashj.ops.AttentionOps;
import dev.flashj.ops.AttentionShapes;
import dev.flashj.ops.DeviceTensor;
import dev.flashj.ops.FeatureMap;
import dev.flashj.ops.FlashAttentionSpec;
import dev.flashj.ops.LightningSpec;
import dev.flashj.ops.LightningState;
import dev.flashj.ops.LightningTuning;
import dev.flashj.ops.NeighborhoodSpec;
import dev.flashj.ops.OpsArguments;
import dev.flashj.opencl.OpenClDeviceSelector;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClDevice;
import dev.flashj.opencl.runtime.ClKernel;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.opencl.runtime.OpenCl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link AttentionOps} on one OpenCL device: fused kernels from {@code lightning.cl} and
 * {@code neighborhood.cl}, and the backend's flash attention kernel ({@code attention.cl}). Kernels
 * are compiled on first use for the head sizes seen (rounded up to a power of two, which sizes the
 * private accumulators) and cached. Ops are enqueued on one in-order queue; {@link #download} waits.
 * Owns the OpenCL library handle, context, queue and kernels; not thread-safe.
 */
public final class ClAttentionOps implements AttentionOps {
    private static final String STD = "-cl-std=CL1.2";
    /** Local memory kept free for the implementation's own use. */
    private static final long LOCAL_SLACK = 1024;

    private final OpenCl cl;
    private final ClContext context;
    private final ClQueue queue;
    private final ClDevice device;
    private final Map<String, ClKernel> kernels = new HashMap<>();
    private final List<ClBuffer> scratch = new ArrayList<>();

    private ClAttentionOps(OpenCl cl, ClContext context, ClQueue queue) {
        this.cl = cl;
        this.context = context;
        this.queue = queue;
        this.device = context.device();
    }

    /**
     * Opens {@code option} ("opencl" for the first GPU else the first device, or "opencl:P:D").
     *
     * @throws FlashjException when OpenCL or the device is missing, saying why
     */
    public static ClAttentionOps open(String option) {
        OpenClDeviceSelector selector = OpenClDeviceSelector.parse(option);
        OpenCl cl = OpenCl.open();
        ClContext context = null;
        try {
            context = cl.createContext(selector.select(cl));
            return new ClAttentionOps(cl, context, context.createQueue());
        } catch (RuntimeException e) {
            if (context != null) {
                context.close();
            }
            cl.close();
            throw e;
        }
    }

    @Override
    public String device() {
        return device.id();
    }

    /** The device's name, for reports. */
    public String deviceName() {
        return device.name();
    }

    /** The queue every op is enqueued on (benchmarks record its events to time ops on the device clock). */
    public ClQueue queue() {
        return queue;
    }

    /** Waits for every enqueued op (for timing). */
    public void finish() {
        queue.finish();
    }

    @Override
    public DeviceTensor upload(float[] data, int... shape) {
        long n = OpsArguments.shape("shape", shape);
        if (data == null || data.length != n) {
            throw OpsArguments.bad("data", "holds " + (data == null ? "null" : data.length + " elements")
                    + " but the shape needs " + n);
        }
        ClBuffer b = context.createBuffer(4 * n, "attention ops tensor");
        queue.writeFloats(b, 0, data);
        return new ClTensor(this, b, shape);
    }

    @Override
    public DeviceTensor allocate(int... shape) {
        long n = OpsArguments.shape("shape", shape);
        ClBuffer b = context.createBuffer(4 * n, "attention ops tensor");
        queue.fill(b, 0f);
        return new ClTensor(this, b, shape);
    }

    @Override
    public float[] download(DeviceTensor tensor) {
        ClTensor t = own(tensor, "tensor");
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw OpsArguments.bad("tensor", n + " elements do not fit a Java array");
        }
        return queue.readFloats(t.buffer, 0, (int) n);
    }

    @Override
    public void flashAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, FlashAttentionSpec spec, DeviceTensor out) {
        AttentionShapes.Flash s = OpsArguments.flash(device(), q, k, v, spec, out);
        int maxDim = headDimBucket(s.headDim(), "q");
        ClKernel flash = kernel("attention.cl", STD + " -DMAX_HEAD_DIM=" + maxDim, "flash_attention");
        int tile = groupFor(flash.maxWorkGroupSize(), 64);
        while (tile > 1 && 2L * tile * s.headDim() * 4 > device.localMemSize() - LOCAL_SLACK) {
            tile /= 2;
        }
        ClBuffer kb = own(k, "k").buffer;
        ClBuffer vb = own(v, "v").buffer;
        long kvBatchBytes = 4L * s.keys() * s.kvHeads() * s.headDim();
        ClBuffer kScratch = null;
        ClBuffer vScratch = null;
        for (int b = 0; b < s.batch(); b++) {
            ClBuffer kb1 = kb;
            ClBuffer vb1 = vb;
            if (b > 0) {
                // The kernel reads keys from the start of its buffer: copy batch entry b there.
                if (kScratch == null) {
                    kScratch = scratch(kvBatchBytes, "flash keys of one batch entry");
                    vScratch = scratch(kvBatchBytes, "flash values of one batch entry");
                }
                queue.copy(kb, b * kvBatchBytes, kScratch, 0, kvBatchBytes);
                queue.copy(vb, b * kvBatchBytes, vScratch, 0, kvBatchBytes);
                kb1 = kScratch;
                vb1 = vScratch;
            }
            int rowOff = b * s.queries() * s.heads() * s.headDim();
            flash.arg(0, own(q, "q").buffer).arg(1, rowOff).arg(2, kb1).arg(3, vb1).arg(4, own(out, "out").buffer)
                    .arg(5, rowOff).arg(6, s.queries()).arg(7, s.heads()).arg(8, s.kvHeads()).arg(9, s.headDim())
                    .arg(10, s.keys()).arg(11, s.keys() - s.queries()).arg(12, spec.causal() ? 1 : 0).arg(13, s.scale())
                    .localArg(14, 4L * tile * s.headDim()).localArg(15, 4L * tile * s.headDim());
            queue.run(flash, new long[]{roundUp(s.queries(), tile), s.heads()}, new long[]{tile, 1});
        }
    }

    @Override
    public void lightning(DeviceTensor q, DeviceTensor k, DeviceTensor v, LightningSpec spec, LightningTuning tuning,
                          LightningState state, DeviceTensor out) {
        AttentionShapes.Lightning s = OpsArguments.lightning(device(), q, k, v, spec, tuning, state, out);
        ClKernel kernel = kernel("lightning.cl", STD + " -DMAX_KEY_DIM=" + headDimBucket(s.keyDim(), "q"),
                "lightning_parallel");
        int threads = Math.max(1, s.valueDim());
        if (threads > kernel.maxWorkGroupSize()) {
            throw OpsArguments.bad("v", "valueDim " + s.valueDim() + " exceeds the " + kernel.maxWorkGroupSize()
                    + " work-items " + device() + " runs per work-group for lightning attention");
        }
        int block = lightningBlock(tuning, s);
        ClBuffer decay = scratchFloats(spec.decay(), "lightning decay");
        ClBuffer stateBuffer = state == null ? decay : own(state.tensor(), "state").buffer;
        kernel.arg(0, own(q, "q").buffer).arg(1, own(k, "k").buffer).arg(2, own(v, "v").buffer).arg(3, stateBuffer)
                .arg(4, own(out, "out").buffer).arg(5, decay).arg(6, s.tokens()).arg(7, s.heads()).arg(8, s.kvHeads())
                .arg(9, s.keyDim()).arg(10, s.valueDim()).arg(11, block).arg(12, featureMap(spec))
                .arg(13, state == null ? 0 : 1)
                .localArg(14, 4L * block * s.keyDim()).localArg(15, 4L * block * s.keyDim())
                .localArg(16, 4L * block * s.valueDim()).localArg(17, 4L * block * block).localArg(18, 4L * (block + 1));
        queue.run(kernel, new long[]{threads, s.heads(), s.batch()}, new long[]{threads, 1, 1});
    }

    /** The block size: the tuning's if it fits local memory, else the largest power of two up to 64 that does. */
    private int lightningBlock(LightningTuning tuning, AttentionShapes.Lightning s) {
        if (tuning.blockSize() != LightningTuning.AUTO) {
            long need = lightningLocalBytes(tuning.blockSize(), s);
            if (need > device.localMemSize() - LOCAL_SLACK) {
                throw OpsArguments.bad("tuning.blockSize", tuning.blockSize() + " needs " + need + " bytes of local memory; "
                        + device() + " has " + device.localMemSize());
            }
            return tuning.blockSize();
        }
        int block = 64;
        while (block > 1 && lightningLocalBytes(block, s) > device.localMemSize() - LOCAL_SLACK) {
            block /= 2;
        }
        return block;
    }

    private static long lightningLocalBytes(int block, AttentionShapes.Lightning s) {
        return 4L * ((long) block * (2L * s.keyDim() + s.valueDim()) + (long) block * block + block + 1);
    }

    @Override
    public void lightningStep(DeviceTensor q, DeviceTensor k, DeviceTensor v, LightningSpec spec, LightningState state,
                              DeviceTensor out) {
        AttentionShapes.Lightning s = OpsArguments.lightningStep(device(), q, k, v, spec, state, out);
        ClKernel kernel = kernel("lightning.cl", STD + " -DMAX_KEY_DIM=" + headDimBucket(s.keyDim(), "q"), "lightning_step");
        ClBuffer decay = scratchFloats(spec.decay(), "lightning decay");
        kernel.arg(0, own(q, "q").buffer).arg(1, own(k, "k").buffer).arg(2, own(v, "v").buffer)
                .arg(3, own(state.tensor(), "state").buffer).arg(4, own(out, "out").buffer).arg(5, decay)
                .arg(6, s.heads()).arg(7, s.kvHeads()).arg(8, s.keyDim()).arg(9, s.valueDim()).arg(10, featureMap(spec));
        int g = Math.min(64, groupFor(kernel.maxWorkGroupSize(), 64));
        queue.run(kernel, new long[]{roundUp(s.valueDim(), g), s.heads(), s.batch()}, new long[]{g, 1, 1});
    }

    @Override
    public void neighborhood(DeviceTensor q, DeviceTensor k, DeviceTensor v, NeighborhoodSpec spec, DeviceTensor out) {
        AttentionShapes.Neighborhood s = OpsArguments.neighborhood(device(), q, k, v, spec, out);
        ClKernel kernel = kernel("neighborhood.cl", STD + " -DMAX_HEAD_DIM=" + headDimBucket(s.headDim(), "q"),
                "neighborhood_attention");
        int[] size = s.sizes();
        int[] dil = s.dilation();
        int[] groupLength = new int[3];
        int moving = 0;
        for (int a = 0; a < 3; a++) {
            groupLength[a] = (size[a] + dil[a] - 1) / dil[a];
            if (groupLength[a] > 1) {
                moving++;
            }
        }
        // 64 queries per tile, shared among the axes that have more than one position per group.
        int side = switch (moving) {
            case 0, 1 -> 64;
            case 2 -> 8;
            default -> 4;
        };
        int[] tile = new int[3];
        int[] tiles = new int[3];
        int threads = 1;
        for (int a = 0; a < 3; a++) {
            tile[a] = Math.min(side, groupLength[a]);
            tiles[a] = (groupLength[a] + tile[a] - 1) / tile[a];
            threads *= tile[a];
        }
        while (threads > kernel.maxWorkGroupSize()) {
            int widest = tile[0] >= tile[1] && tile[0] >= tile[2] ? 0 : tile[1] >= tile[2] ? 1 : 2;
            tile[widest] = (tile[widest] + 1) / 2;
            tiles[widest] = (groupLength[widest] + tile[widest] - 1) / tile[widest];
            threads = tile[0] * tile[1] * tile[2];
        }
        int chunk = Math.max(threads, 32);
        while (chunk > 1 && 2L * chunk * s.headDim() * 4 > device.localMemSize() - LOCAL_SLACK) {
            chunk /= 2;
        }
        long groups = 1;
        for (int a = 0; a < 3; a++) {
            groups *= (long) dil[a] * tiles[a];
        }
        kernel.arg(0, own(q, "q").buffer).arg(1, own(k, "k").buffer).arg(2, own(v, "v").buffer)
                .arg(3, own(out, "out").buffer).arg(4, s.heads()).arg(5, s.kvHeads()).arg(6, s.headDim()).arg(7, s.scale());
        int arg = 8;
        for (int[] perAxis : new int[][]{size, s.kernel(), dil, flags(s.causal()), tile, tiles}) {
            for (int a = 0; a < 3; a++) {
                kernel.arg(arg++, perAxis[a]);
            }
        }
        kernel.arg(arg++, chunk).localArg(arg++, 4L * chunk * s.headDim()).localArg(arg, 4L * chunk * s.headDim());
        queue.run(kernel, new long[]{groups * threads, s.heads(), s.batch()}, new long[]{threads, 1, 1});
    }

    private static int[] flags(boolean[] b) {
        int[] r = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[i] ? 1 : 0;
        }
        return r;
    }

    private static int featureMap(LightningSpec spec) {
        return spec.featureMap() == FeatureMap.ELU_PLUS_ONE ? 1 : 0;
    }

    /** The power of two (at least 16) the private per-work-item arrays are sized to; at most 256. */
    private static int headDimBucket(int headDim, String argument) {
        if (headDim > 256) {
            throw OpsArguments.bad(argument, "head size " + headDim + " exceeds the 256 the OpenCL attention kernels support");
        }
        return Math.max(16, Integer.highestOneBit(headDim - 1) << 1);
    }

    private ClKernel kernel(String source, String options, String name) {
        String key = source + "\u0000" + options + "\u0000" + name;
        ClKernel k = kernels.get(key);
        if (k == null) {
            k = context.program(source, options).kernel(name);
            kernels.put(key, k);
        }
        return k;
    }

    private ClTensor own(DeviceTensor t, String name) {
        if (!(t instanceof ClTensor c) || c.owner != this) {
            throw OpsArguments.bad(name, "was not made by these OpenCL ops (" + device() + ")");
        }
        return c;
    }

    /** A buffer freed when the ops close (small per-call data such as decays, or batch copies). */
    private ClBuffer scratch(long bytes, String purpose) {
        ClBuffer b = context.createBuffer(bytes, purpose);
        scratch.add(b);
        if (scratch.size() > 64) {
            // Enqueued kernels may still read older scratch: wait before releasing it.
            queue.finish();
            for (int i = 0; i < scratch.size() - 1; i++) {
                scratch.get(i).close();
            }
            scratch.subList(0, scratch.size() - 1).clear();
        }
        return b;
    }

    private ClBuffer scratchFloats(float[] values, String purpose) {
        ClBuffer b = scratch(4L * values.length, purpose);
        queue.writeFloats(b, 0, values);
        return b;
    }

    private static int groupFor(long limit, int preferred) {
        return Integer.highestOneBit((int) Math.max(1, Math.min(limit, preferred)));
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    @Override
    public void close() {
        try {
            queue.finish();
        } finally {
            scratch.forEach(ClBuffer::close);
            kernels.values().forEach(ClKernel::close);
            queue.close();
            context.close();
            cl.close();
        }
    }
}
