package dev.flashj.ops;

import dev.flashj.FlashjException;
import dev.flashj.backend.BackendProvider;
import dev.flashj.backend.CpuBackendProvider;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Attention operators on one device, for JVM code that brings its own model. Get one with
 * {@link #open(String)} ("cpu", "opencl", "opencl:P:D"), make tensors with {@link #upload}, call an
 * op, {@link #download} the result, and close everything.
 *
 * <p>Layouts are row-major float32, token-major with heads inside:
 * <ul>
 * <li>flash and lightning: q {@code [batch, tokens, heads, headDim]}, k and v
 *     {@code [batch, tokens, kvHeads, headDim]}, out {@code [batch, tokens, heads, valueDim]};</li>
 * <li>neighborhood: {@code [batch, length, heads, headDim]} (1D), {@code [batch, height, width, heads,
 *     headDim]} (2D), {@code [batch, depth, height, width, heads, headDim]} (3D); out has q's shape.</li>
 * </ul>
 * Query head h reads key/value head {@code h / (heads / kvHeads)} (grouped-query attention). Every
 * op checks its arguments through {@link OpsArguments} and throws a {@link FlashjException} naming
 * the bad one. Ops run in call order; {@link #download} waits for them. Not thread-safe.
 */
public interface AttentionOps extends AutoCloseable {

    /** The device id: "cpu", "opencl:0:0". */
    String device();

    /** A tensor of {@code shape} holding a copy of {@code data} (row-major, exactly the shape's element count). */
    DeviceTensor upload(float[] data, int... shape);

    /** A zero-filled tensor of {@code shape}. */
    DeviceTensor allocate(int... shape);

    /** The tensor's elements, row-major, after every op enqueued before. */
    float[] download(DeviceTensor tensor);

    /** Softmax attention, written into {@code out} [batch, queries, heads, headDim]. */
    void flashAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, FlashAttentionSpec spec, DeviceTensor out);

    /**
     * Lightning attention over a whole sequence (the parallel, block-tiled form), into {@code out}
     * [batch, tokens, heads, valueDim]. With a {@code state} it continues from it and leaves it at the
     * sequence's end; with null it starts from zero.
     */
    void lightning(DeviceTensor q, DeviceTensor k, DeviceTensor v, LightningSpec spec, LightningTuning tuning,
                   LightningState state, DeviceTensor out);

    /** The recurrent form: q, k, v hold one token ([batch, 1, ...]); advances {@code state} by it. */
    void lightningStep(DeviceTensor q, DeviceTensor k, DeviceTensor v, LightningSpec spec, LightningState state,
                       DeviceTensor out);

    /** A zero lightning state [batch, heads, keyDim, valueDim]. */
    default LightningState lightningState(int batch, int heads, int keyDim, int valueDim) {
        OpsArguments.stateSizes(batch, heads, keyDim, valueDim);
        return new LightningState(allocate(batch, heads, keyDim, valueDim));
    }

    /** Neighborhood attention (1D, 2D or 3D by the spec's axes), into {@code out} (q's shape). */
    void neighborhood(DeviceTensor q, DeviceTensor k, DeviceTensor v, NeighborhoodSpec spec, DeviceTensor out);

    /** {@link #flashAttention} into a new tensor. */
    default DeviceTensor flashAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, FlashAttentionSpec spec) {
        DeviceTensor out = allocate(q.shape());
        return fill(out, () -> flashAttention(q, k, v, spec, out));
    }

    /** {@link #lightning} from a zero state, default tuning, into a new tensor. */
    default DeviceTensor lightning(DeviceTensor q, DeviceTensor k, DeviceTensor v, LightningSpec spec) {
        int[] s = q.shape();
        int[] vs = v.shape();
        DeviceTensor out = allocate(s.length == 4 && vs.length == 4 ? new int[]{s[0], s[1], s[2], vs[3]} : s);
        return fill(out, () -> lightning(q, k, v, spec, LightningTuning.DEFAULT, null, out));
    }

    /** {@link #neighborhood} into a new tensor. */
    default DeviceTensor neighborhood(DeviceTensor q, DeviceTensor k, DeviceTensor v, NeighborhoodSpec spec) {
        DeviceTensor out = allocate(q.shape());
        return fill(out, () -> neighborhood(q, k, v, spec, out));
    }

    /** Releases the device resources (tensors made by these ops must not be used afterwards). */
    @Override
    void close();

    /**
     * The ops for {@code device}: "cpu", or a device id a backend on the class path knows
     * ("opencl", "opencl:0:0").
     *
     * @throws FlashjException when no backend offers ops for it, with the reasons
     */
    static AttentionOps open(String device) {
        if (device == null || device.isBlank()) {
            throw OpsArguments.bad("device", "must name a device such as cpu or opencl:0:0");
        }
        List<String> tried = new ArrayList<>();
        List<BackendProvider> providers = new ArrayList<>();
        providers.add(new CpuBackendProvider());
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (!p.name().equals("cpu")) {
                providers.add(p);
            }
        }
        for (BackendProvider p : providers) {
            Optional<AttentionOps> ops = p.attentionOps(device);
            if (ops.isPresent()) {
                return ops.get();
            }
            tried.add(p.name());
        }
        throw OpsArguments.bad("device", "no backend offers attention ops for '" + device + "' (backends on the class path: "
                + String.join(", ", tried) + ")");
    }

    private static DeviceTensor fill(DeviceTensor out, Runnable op) {
        try {
            op.run();
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }
}
