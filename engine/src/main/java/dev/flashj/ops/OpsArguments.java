package dev.flashj.ops;

import dev.flashj.FlashjException;

import java.util.Arrays;

/**
 * The one place where every attention op's arguments are checked, for every backend. Each failure
 * is a {@link FlashjException} whose message starts with the bad argument ("k", "spec.decay[2]",
 * "tuning.blockSize") and says what was expected.
 */
public final class OpsArguments {
    /** Largest lightning block: its B x B score tile must stay small. */
    public static final int MAX_BLOCK_SIZE = 1024;

    private OpsArguments() {
    }

    /** Checks a flash attention call; {@code out} must be [batch, queries, heads, headDim]. */
    public static AttentionShapes.Flash flash(String device, DeviceTensor q, DeviceTensor k, DeviceTensor v,
                                              FlashAttentionSpec spec, DeviceTensor out) {
        notNull(spec, "spec");
        int[] qs = tensor(device, q, "q", 4, "[batch, queries, heads, headDim]");
        int[] ks = tensor(device, k, "k", 4, "[batch, keys, kvHeads, headDim]");
        int[] vs = tensor(device, v, "v", 4, "[batch, keys, kvHeads, headDim]");
        same("k", ks, 0, "batch", qs[0]);
        same("k", ks, 3, "headDim", qs[3]);
        heads("k", ks[2], qs[2]);
        if (!Arrays.equals(ks, vs)) {
            throw bad("v", "shape " + Arrays.toString(vs) + " must equal k's " + Arrays.toString(ks));
        }
        if (spec.causal() && ks[1] < qs[1]) {
            throw bad("k", "causal attention needs at least as many keys (" + ks[1] + ") as queries (" + qs[1] + ")");
        }
        scale(spec.scale());
        output(device, out, qs);
        return new AttentionShapes.Flash(qs[0], qs[1], ks[1], qs[2], ks[2], qs[3], spec.scaleFor(qs[3]));
    }

    /**
     * Checks a lightning call; {@code state} may be null, {@code out} must be [batch, tokens, heads, valueDim].
     */
    public static AttentionShapes.Lightning lightning(String device, DeviceTensor q, DeviceTensor k, DeviceTensor v,
                                                      LightningSpec spec, LightningTuning tuning, LightningState state,
                                                      DeviceTensor out) {
        notNull(spec, "spec");
        notNull(tuning, "tuning");
        int[] qs = tensor(device, q, "q", 4, "[batch, tokens, heads, keyDim]");
        int[] ks = tensor(device, k, "k", 4, "[batch, tokens, kvHeads, keyDim]");
        int[] vs = tensor(device, v, "v", 4, "[batch, tokens, kvHeads, valueDim]");
        same("k", ks, 0, "batch", qs[0]);
        same("k", ks, 1, "tokens", qs[1]);
        same("k", ks, 3, "keyDim", qs[3]);
        heads("k", ks[2], qs[2]);
        same("v", vs, 0, "batch", qs[0]);
        same("v", vs, 1, "tokens", qs[1]);
        same("v", vs, 2, "kvHeads", ks[2]);
        decay(spec, qs[2]);
        if (tuning.blockSize() < 0 || tuning.blockSize() > MAX_BLOCK_SIZE) {
            throw bad("tuning.blockSize", "must be " + LightningTuning.AUTO + " (auto) or 1.." + MAX_BLOCK_SIZE
                    + ", got " + tuning.blockSize());
        }
        if (state != null) {
            state(device, state, qs[0], qs[2], qs[3], vs[3]);
        }
        output(device, out, new int[]{qs[0], qs[1], qs[2], vs[3]});
        return new AttentionShapes.Lightning(qs[0], qs[1], qs[2], ks[2], qs[3], vs[3], tuning.blockSize());
    }

    /** Checks a recurrent lightning step: one token per batch entry, a state required. */
    public static AttentionShapes.Lightning lightningStep(String device, DeviceTensor q, DeviceTensor k, DeviceTensor v,
                                                          LightningSpec spec, LightningState state, DeviceTensor out) {
        notNull(state, "state");
        AttentionShapes.Lightning s = lightning(device, q, k, v, spec, LightningTuning.DEFAULT, state, out);
        if (s.tokens() != 1) {
            throw bad("q", "a recurrent step takes exactly 1 token per batch entry, got " + s.tokens()
                    + " (use lightning() for a sequence)");
        }
        return s;
    }

    /** Checks a neighborhood call; {@code out} must have q's shape. */
    public static AttentionShapes.Neighborhood neighborhood(String device, DeviceTensor q, DeviceTensor k, DeviceTensor v,
                                                            NeighborhoodSpec spec, DeviceTensor out) {
        notNull(spec, "spec");
        if (spec.axes() == null || spec.axes().isEmpty() || spec.axes().size() > 3) {
            throw bad("spec.axes", "must hold 1 to 3 axes, got " + (spec.axes() == null ? "null" : spec.axes().size()));
        }
        int rank = spec.rank();
        String layout = switch (rank) {
            case 1 -> "[batch, length, heads, headDim]";
            case 2 -> "[batch, height, width, heads, headDim]";
            default -> "[batch, depth, height, width, heads, headDim]";
        };
        int[] qs = tensor(device, q, "q", rank + 3, layout);
        int[] ks = tensor(device, k, "k", rank + 3, layout.replace("heads", "kvHeads"));
        int[] vs = tensor(device, v, "v", rank + 3, layout.replace("heads", "kvHeads"));
        for (int d = 0; d <= rank; d++) {
            same("k", ks, d, d == 0 ? "batch" : "spatial size " + (d - 1), qs[d]);
        }
        same("k", ks, rank + 2, "headDim", qs[rank + 2]);
        heads("k", ks[rank + 1], qs[rank + 1]);
        if (!Arrays.equals(ks, vs)) {
            throw bad("v", "shape " + Arrays.toString(vs) + " must equal k's " + Arrays.toString(ks));
        }
        int[] sizes = {1, 1, 1};
        int[] kernel = {1, 1, 1};
        int[] dilation = {1, 1, 1};
        boolean[] causal = new boolean[3];
        for (int a = 0; a < rank; a++) {
            NeighborhoodAxis axis = spec.axis(a);
            String name = "spec.axes[" + a + "]";
            notNull(axis, name);
            int size = qs[1 + a];
            if (axis.kernelSize() < 1 || axis.kernelSize() % 2 == 0) {
                throw bad(name + ".kernelSize", "must be odd and positive, got " + axis.kernelSize());
            }
            if (axis.dilation() < 1) {
                throw bad(name + ".dilation", "must be at least 1, got " + axis.dilation());
            }
            if ((long) axis.kernelSize() * axis.dilation() > size) {
                throw bad(name + ".kernelSize", axis.kernelSize() + " x dilation " + axis.dilation()
                        + " exceeds the input's size " + size + " on that axis");
            }
            int slot = 3 - rank + a;
            sizes[slot] = size;
            kernel[slot] = axis.kernelSize();
            dilation[slot] = axis.dilation();
            causal[slot] = axis.causal();
        }
        scale(spec.scale());
        output(device, out, qs);
        int headDim = qs[rank + 2];
        return new AttentionShapes.Neighborhood(qs[0], sizes, kernel, dilation, causal, qs[rank + 1], ks[rank + 1],
                headDim, spec.scaleFor(headDim));
    }

    /** Checks the sizes of a new lightning state. */
    public static void stateSizes(int batch, int heads, int keyDim, int valueDim) {
        positive("batch", batch);
        positive("heads", heads);
        positive("keyDim", keyDim);
        positive("valueDim", valueDim);
        if ((long) batch * heads * keyDim * valueDim > Integer.MAX_VALUE) {
            throw bad("batch", "state of " + batch + " x " + heads + " x " + keyDim + " x " + valueDim + " is too large");
        }
    }

    /** Checks a tensor's shape for upload/allocate. */
    public static long shape(String what, int[] shape) {
        if (shape == null || shape.length == 0) {
            throw bad(what, "needs at least one dimension");
        }
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] <= 0) {
                throw bad(what, "dimension " + i + " must be positive, got " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, shape[i]);
        }
        return n;
    }

    private static void decay(LightningSpec spec, int heads) {
        if (spec.featureMap() == null) {
            throw bad("spec.featureMap", "must not be null");
        }
        if (spec.heads() != heads) {
            throw bad("spec.decay", "needs one λ per query head (" + heads + "), got " + spec.heads());
        }
        for (int h = 0; h < heads; h++) {
            float d = spec.decayOf(h);
            if (!(d > 0f && d <= 1f)) {
                throw bad("spec.decay[" + h + "]", "must be in (0, 1], got " + d);
            }
        }
    }

    private static void state(String device, LightningState state, int batch, int heads, int keyDim, int valueDim) {
        int[] ss = tensor(device, state.tensor(), "state", 4, "[batch, heads, keyDim, valueDim]");
        int[] want = {batch, heads, keyDim, valueDim};
        if (!Arrays.equals(ss, want)) {
            throw bad("state", "shape " + Arrays.toString(ss) + " must be " + Arrays.toString(want)
                    + " [batch, heads, keyDim, valueDim]");
        }
    }

    private static int[] tensor(String device, DeviceTensor t, String name, int rank, String layout) {
        notNull(t, name);
        if (!t.device().equals(device)) {
            throw bad(name, "lives on " + t.device() + " but these ops run on " + device);
        }
        int[] s = t.shape();
        if (s.length != rank) {
            throw bad(name, "must be " + layout + " (" + rank + " dimensions), got " + Arrays.toString(s));
        }
        return s;
    }

    private static void output(String device, DeviceTensor out, int[] expected) {
        int[] os = tensor(device, out, "out", expected.length, Arrays.toString(expected));
        if (!Arrays.equals(os, expected)) {
            throw bad("out", "shape " + Arrays.toString(os) + " must be " + Arrays.toString(expected));
        }
    }

    private static void same(String name, int[] shape, int dim, String what, int expected) {
        if (shape[dim] != expected) {
            throw bad(name, what + " (dimension " + dim + ") is " + shape[dim] + " but q's is " + expected);
        }
    }

    private static void heads(String name, int kvHeads, int heads) {
        if (heads % kvHeads != 0) {
            throw bad(name, "kvHeads " + kvHeads + " must divide q's heads " + heads + " (grouped-query attention)");
        }
    }

    private static void scale(float s) {
        if (!Float.isNaN(s) && !(s > 0 && Float.isFinite(s))) {
            throw bad("spec.scale", "must be positive and finite, or NaN for 1/sqrt(headDim), got " + s);
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw bad(name, "must be positive, got " + v);
        }
    }

    private static void notNull(Object o, String name) {
        if (o == null) {
            throw bad(name, "must not be null");
        }
    }

    /** "NAME: REASON", the form every op error takes. */
    public static FlashjException bad(String argument, String reason) {
        return new FlashjException(argument + ": " + reason);
    }
}
