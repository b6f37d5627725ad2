package dev.flashj.ops.cpu;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.ops.AttentionOps;
import dev.flashj.ops.AttentionShapes;
import dev.flashj.ops.DeviceTensor;
import dev.flashj.ops.FlashAttentionSpec;
import dev.flashj.ops.LightningSpec;
import dev.flashj.ops.LightningState;
import dev.flashj.ops.LightningTuning;
import dev.flashj.ops.NeighborhoodSpec;
import dev.flashj.ops.OpsArguments;

/**
 * {@link AttentionOps} on the CPU: Java Vector API kernels ({@link dev.flashj.cpu.Ops#dot},
 * {@link dev.flashj.cpu.Ops#axpy}) spread over {@link CpuThreads}. Ops run synchronously.
 */
public final class CpuAttentionOps implements AttentionOps {
    /** Lightning's block size when the tuning says AUTO. */
    public static final int DEFAULT_BLOCK = 64;

    private final CpuThreads threads;

    /** On every core. */
    public CpuAttentionOps() {
        this(CpuThreads.defaultThreads());
    }

    public CpuAttentionOps(int threadCount) {
        this.threads = new CpuThreads(threadCount);
    }

    @Override
    public String device() {
        return CpuTensor.DEVICE;
    }

    @Override
    public DeviceTensor upload(float[] data, int... shape) {
        long n = OpsArguments.shape("shape", shape);
        if (data == null || data.length != n) {
            throw OpsArguments.bad("data", "holds " + (data == null ? "null" : data.length + " elements")
                    + " but the shape needs " + n);
        }
        return new CpuTensor(data.clone(), shape);
    }

    @Override
    public DeviceTensor allocate(int... shape) {
        long n = OpsArguments.shape("shape", shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw OpsArguments.bad("shape", n + " elements do not fit a Java array");
        }
        return new CpuTensor(new float[(int) n], shape);
    }

    @Override
    public float[] download(DeviceTensor tensor) {
        return data(tensor, "tensor").clone();
    }

    @Override
    public void flashAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, FlashAttentionSpec spec, DeviceTensor out) {
        AttentionShapes.Flash s = OpsArguments.flash(device(), q, k, v, spec, out);
        CpuFlashAttention.run(threads, s, spec.causal(), data(q, "q"), data(k, "k"), data(v, "v"), data(out, "out"));
    }

    @Override
    public void lightning(DeviceTensor q, DeviceTensor k, DeviceTensor v, LightningSpec spec, LightningTuning tuning,
                          LightningState state, DeviceTensor out) {
        AttentionShapes.Lightning s = OpsArguments.lightning(device(), q, k, v, spec, tuning, state, out);
        CpuLightning.parallel(threads, s, spec, tuning.blockSizeOr(DEFAULT_BLOCK), data(q, "q"), data(k, "k"),
                data(v, "v"), state == null ? null : data(state.tensor(), "state"), data(out, "out"));
    }

    @Override
    public void lightningStep(DeviceTensor q, DeviceTensor k, DeviceTensor v, LightningSpec spec, LightningState state,
                              DeviceTensor out) {
        AttentionShapes.Lightning s = OpsArguments.lightningStep(device(), q, k, v, spec, state, out);
        CpuLightning.step(threads, s, spec, data(q, "q"), data(k, "k"), data(v, "v"), data(state.tensor(), "state"),
                data(out, "out"));
    }

    @Override
    public void neighborhood(DeviceTensor q, DeviceTensor k, DeviceTensor v, NeighborhoodSpec spec, DeviceTensor out) {
        AttentionShapes.Neighborhood s = OpsArguments.neighborhood(device(), q, k, v, spec, out);
        CpuNeighborhood.run(threads, s, data(q, "q"), data(k, "k"), data(v, "v"), data(out, "out"));
    }

    @Override
    public void close() {
        threads.close();
    }

    private static float[] data(DeviceTensor t, String name) {
        if (!(t instanceof CpuTensor c)) {
            throw OpsArguments.bad(name, "is not a CPU tensor (" + (t == null ? "null" : t.device()) + ")");
        }
        return c.data;
    }
}
