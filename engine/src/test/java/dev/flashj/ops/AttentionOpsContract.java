package dev.flashj.ops;

import dev.flashj.FlashjException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The parity suite every {@link AttentionOps} backend must pass: each op against the float64
 * {@link AttentionReference} on random shapes (odd sizes, non-square 2D, dilation with sizes not
 * divisible by it, kernel = input size, causal axes, grouped-query heads), outputs poisoned with NaN
 * first. Lightning's parallel form, recurrent form and naive quadratic form must agree. A backend's
 * test class extends this and supplies {@link #openOps()}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AttentionOpsContract {
    protected AttentionOps ops;
    private final List<DeviceTensor> tensors = new ArrayList<>();

    /** The ops under test (may abort the test class when the backend is missing here). */
    protected abstract AttentionOps openOps();

    /** How many random cases each randomized test runs (slow backends run fewer). */
    protected int cases() {
        return 12;
    }

    @BeforeAll
    void openBackend() {
        ops = openOps();
    }

    @AfterAll
    void closeBackend() {
        tensors.forEach(DeviceTensor::close);
        if (ops != null) {
            ops.close();
        }
    }

    protected DeviceTensor upload(float[] data, int... shape) {
        DeviceTensor t = ops.upload(data, shape);
        tensors.add(t);
        return t;
    }

    protected DeviceTensor poisoned(int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        float[] nan = new float[n];
        Arrays.fill(nan, Float.NaN);
        return upload(nan, shape);
    }

    public static float[] randoms(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    /** |a - e| <= tol * max(1, max |e|) everywhere; NaN (an unwritten poisoned element) fails. */
    public static void assertClose(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double max = 1;
        for (double e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i])) {
                fail(what + ": element " + i + " is NaN (unwritten poisoned output?)");
            }
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= tol * max)) {
                fail(what + ": element " + i + " expected " + expected[i] + " got " + actual[i] + " (error " + err
                        + ", bound " + tol * max + ")");
            }
        }
    }

    private static int divisorOf(Random r, int heads) {
        List<Integer> divisors = new ArrayList<>();
        for (int d = 1; d <= heads; d++) {
            if (heads % d == 0) {
                divisors.add(d);
            }
        }
        return divisors.get(r.nextInt(divisors.size()));
    }

    private static float[] decays(Random r, int heads) {
        float[] d = new float[heads];
        for (int h = 0; h < heads; h++) {
            d[h] = r.nextInt(4) == 0 ? 1f : (float) (0.75 + 0.25 * r.nextDouble());
        }
        return d;
    }

    /** One random lightning problem. */
    private record LightningCase(int batch, int tokens, int heads, int kvHeads, int dk, int dv, LightningSpec spec,
                                 float[] q, float[] k, float[] v) {
        static LightningCase random(Random r, int maxTokens) {
            int batch = 1 + r.nextInt(2);
            int tokens = 1 + r.nextInt(maxTokens);
            int heads = 1 + r.nextInt(4);
            int kvHeads = divisorOf(r, heads);
            int dk = 1 + r.nextInt(33);
            int dv = 1 + r.nextInt(33);
            FeatureMap map = r.nextBoolean() ? FeatureMap.IDENTITY : FeatureMap.ELU_PLUS_ONE;
            double scale = 1 / Math.sqrt(dk);
            return new LightningCase(batch, tokens, heads, kvHeads, dk, dv, new LightningSpec(decays(r, heads), map),
                    randoms(r, batch * tokens * heads * dk, scale), randoms(r, batch * tokens * kvHeads * dk, scale),
                    randoms(r, batch * tokens * kvHeads * dv, 1));
        }

        double[] reference() {
            return AttentionReference.lightning(q, k, v, batch, tokens, heads, kvHeads, dk, dv, spec.decay(),
                    spec.featureMap(), null);
        }

        @Override
        public String toString() {
            return "batch " + batch + " tokens " + tokens + " heads " + heads + "/" + kvHeads + " dk " + dk + " dv " + dv
                    + " " + spec;
        }
    }

    @Test
    void lightningParallelMatchesNaiveForm() {
        Random r = new Random(7);
        int[] blocks = {LightningTuning.AUTO, 1, 7, 16, 64};
        for (int c = 0; c < cases(); c++) {
            LightningCase lc = LightningCase.random(r, 150);
            DeviceTensor q = upload(lc.q, lc.batch, lc.tokens, lc.heads, lc.dk);
            DeviceTensor k = upload(lc.k, lc.batch, lc.tokens, lc.kvHeads, lc.dk);
            DeviceTensor v = upload(lc.v, lc.batch, lc.tokens, lc.kvHeads, lc.dv);
            DeviceTensor out = poisoned(lc.batch, lc.tokens, lc.heads, lc.dv);
            int block = blocks[c % blocks.length];
            ops.lightning(q, k, v, lc.spec, new LightningTuning(block), null, out);
            assertClose(lc.reference(), ops.download(out), 1e-4, "lightning block " + block + ", " + lc);
        }
    }

    @Test
    void lightningRecurrentMatchesNaiveAndParallelPrefixHandsOver() {
        Random r = new Random(8);
        for (int c = 0; c < Math.max(2, cases() / 2); c++) {
            LightningCase lc = LightningCase.random(r, 40);
            int b = lc.batch;
            int h = lc.heads;
            int g = lc.kvHeads;
            // A parallel prefill of the first `split` tokens, then one recurrent step per remaining token.
            int split = r.nextInt(lc.tokens + 1);
            float[] got = new float[b * lc.tokens * h * lc.dv];
            try (LightningState state = ops.lightningState(b, h, lc.dk, lc.dv)) {
                if (split > 0) {
                    DeviceTensor q = upload(slice(lc.q, b, lc.tokens, 0, split, h * lc.dk), b, split, h, lc.dk);
                    DeviceTensor k = upload(slice(lc.k, b, lc.tokens, 0, split, g * lc.dk), b, split, g, lc.dk);
                    DeviceTensor v = upload(slice(lc.v, b, lc.tokens, 0, split, g * lc.dv), b, split, g, lc.dv);
                    DeviceTensor out = poisoned(b, split, h, lc.dv);
                    ops.lightning(q, k, v, lc.spec, new LightningTuning(1 + r.nextInt(9)), state, out);
                    place(ops.download(out), got, b, lc.tokens, 0, split, h * lc.dv);
                }
                for (int t = split; t < lc.tokens; t++) {
                    DeviceTensor q = upload(slice(lc.q, b, lc.tokens, t, t + 1, h * lc.dk), b, 1, h, lc.dk);
                    DeviceTensor k = upload(slice(lc.k, b, lc.tokens, t, t + 1, g * lc.dk), b, 1, g, lc.dk);
                    DeviceTensor v = upload(slice(lc.v, b, lc.tokens, t, t + 1, g * lc.dv), b, 1, g, lc.dv);
                    DeviceTensor out = poisoned(b, 1, h, lc.dv);
                    ops.lightningStep(q, k, v, lc.spec, state, out);
                    place(ops.download(out), got, b, lc.tokens, t, t + 1, h * lc.dv);
                }
            }
            assertClose(lc.reference(), got, 1e-4, "lightning prefill " + split + " then steps, " + lc);
        }
    }

    @Test
    void lightningContinuesFromAGivenState() {
        Random r = new Random(9);
        LightningCase lc = LightningCase.random(r, 60);
        float[] s0 = randoms(r, lc.batch * lc.heads * lc.dk * lc.dv, 1);
        try (LightningState state = new LightningState(ops.upload(s0, lc.batch, lc.heads, lc.dk, lc.dv))) {
            DeviceTensor out = poisoned(lc.batch, lc.tokens, lc.heads, lc.dv);
            ops.lightning(upload(lc.q, lc.batch, lc.tokens, lc.heads, lc.dk), upload(lc.k, lc.batch, lc.tokens, lc.kvHeads, lc.dk),
                    upload(lc.v, lc.batch, lc.tokens, lc.kvHeads, lc.dv), lc.spec, new LightningTuning(5), state, out);
            double[] expected = AttentionReference.lightning(lc.q, lc.k, lc.v, lc.batch, lc.tokens, lc.heads, lc.kvHeads,
                    lc.dk, lc.dv, lc.spec.decay(), lc.spec.featureMap(), s0);
            assertClose(expected, ops.download(out), 1e-4, "lightning from a state, " + lc);
        }
    }

    /** Tokens [from, to) of a [batch, tokens, width] array. */
    private static float[] slice(float[] a, int batch, int tokens, int from, int to, int width) {
        float[] r = new float[batch * (to - from) * width];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(a, (b * tokens + from) * width, r, b * (to - from) * width, (to - from) * width);
        }
        return r;
    }

    private static void place(float[] part, float[] whole, int batch, int tokens, int from, int to, int width) {
        for (int b = 0; b < batch; b++) {
            System.arraycopy(part, b * (to - from) * width, whole, (b * tokens + from) * width, (to - from) * width);
        }
    }

    /** Runs neighborhood attention on random data and compares with the reference. */
    private void checkNeighborhood(Random r, int batch, int[] sizes, int heads, int kvHeads, int d, NeighborhoodSpec spec) {
        int tokens = Arrays.stream(sizes).reduce(1, (a, b) -> a * b);
        int[] qShape = shape(batch, sizes, heads, d);
        int[] kShape = shape(batch, sizes, kvHeads, d);
        float[] q = randoms(r, batch * tokens * heads * d, 1);
        float[] k = randoms(r, batch * tokens * kvHeads * d, 1);
        float[] v = randoms(r, batch * tokens * kvHeads * d, 1);
        DeviceTensor out = poisoned(qShape);
        ops.neighborhood(upload(q, qShape), upload(k, kShape), upload(v, kShape), spec, out);
        double[] expected = AttentionReference.neighborhood(q, k, v, batch, sizes, heads, kvHeads, d, spec);
        assertClose(expected, ops.download(out), 2e-5, "neighborhood " + Arrays.toString(qShape) + " kv " + kvHeads + " " + spec);
    }

    private static int[] shape(int batch, int[] sizes, int heads, int d) {
        int[] s = new int[sizes.length + 3];
        s[0] = batch;
        System.arraycopy(sizes, 0, s, 1, sizes.length);
        s[sizes.length + 1] = heads;
        s[sizes.length + 2] = d;
        return s;
    }

    private static NeighborhoodAxis randomAxis(Random r, int size) {
        int dilation = 1 + r.nextInt(Math.min(3, size));
        int maxKernel = size / dilation;
        int kernel = 2 * r.nextInt((maxKernel + 1) / 2) + 1;
        return new NeighborhoodAxis(kernel, dilation, r.nextInt(3) == 0);
    }

    @Test
    void neighborhood1dMatchesReference() {
        Random r = new Random(11);
        for (int c = 0; c < cases(); c++) {
            int length = 1 + r.nextInt(90);
            int heads = 1 + r.nextInt(4);
            NeighborhoodSpec spec = NeighborhoodSpec.of(randomAxis(r, length));
            checkNeighborhood(r, 1 + r.nextInt(2), new int[]{length}, heads, divisorOf(r, heads), 1 + r.nextInt(40), spec);
        }
    }

    @Test
    void neighborhood2dMatchesReference() {
        Random r = new Random(12);
        for (int c = 0; c < cases(); c++) {
            int height = 1 + r.nextInt(23);
            int width = 1 + r.nextInt(29);
            int heads = 1 + r.nextInt(3);
            NeighborhoodSpec spec = NeighborhoodSpec.of(randomAxis(r, height), randomAxis(r, width));
            if (r.nextBoolean()) {
                spec = spec.withScale((float) (0.05 + r.nextDouble()));
            }
            checkNeighborhood(r, 1 + r.nextInt(2), new int[]{height, width}, heads, divisorOf(r, heads), 1 + r.nextInt(36), spec);
        }
    }

    @Test
    void neighborhood3dMatchesReference() {
        Random r = new Random(13);
        for (int c = 0; c < Math.max(2, cases() / 3); c++) {
            int[] sizes = {1 + r.nextInt(7), 1 + r.nextInt(9), 1 + r.nextInt(8)};
            NeighborhoodSpec spec = NeighborhoodSpec.of(randomAxis(r, sizes[0]), randomAxis(r, sizes[1]), randomAxis(r, sizes[2]));
            checkNeighborhood(r, 1, sizes, 2, 1 + r.nextInt(2), 1 + r.nextInt(20), spec);
        }
    }

    @Test
    void dilatedWindowsAtSizesNotDivisibleByTheDilation() {
        Random r = new Random(14);
        // 23 = 3 * 7 + 2 and 17 = 2 * 8 + 1: the last groups are longer than the others.
        checkNeighborhood(r, 1, new int[]{23}, 2, 1, 8, NeighborhoodSpec.of(new NeighborhoodAxis(7, 3, false)));
        checkNeighborhood(r, 1, new int[]{23}, 2, 2, 8, NeighborhoodSpec.of(new NeighborhoodAxis(5, 3, true)));
        checkNeighborhood(r, 1, new int[]{17, 23}, 2, 1, 8,
                NeighborhoodSpec.of(new NeighborhoodAxis(5, 2, false), new NeighborhoodAxis(3, 3, true)));
    }

    /** A window as large as the input sees every key: it must equal plain full attention. */
    @Test
    void windowAsLargeAsTheInputIsFullAttention() {
        Random r = new Random(15);
        for (int c = 0; c < Math.max(2, cases() / 2); c++) {
            int height = 1 + 2 * r.nextInt(6);
            int width = 1 + 2 * r.nextInt(8);
            int heads = 1 + r.nextInt(4);
            int kvHeads = divisorOf(r, heads);
            int d = 1 + r.nextInt(40);
            int tokens = height * width;
            float[] q = randoms(r, tokens * heads * d, 1.5);
            float[] k = randoms(r, tokens * kvHeads * d, 1.5);
            float[] v = randoms(r, tokens * kvHeads * d, 1);
            double[] full = AttentionReference.attention(q, k, v, 1, tokens, tokens, heads, kvHeads, d, false, 1 / Math.sqrt(d));
            DeviceTensor out2d = poisoned(1, height, width, heads, d);
            ops.neighborhood(upload(q, 1, height, width, heads, d), upload(k, 1, height, width, kvHeads, d),
                    upload(v, 1, height, width, kvHeads, d), NeighborhoodSpec.of2d(height, width), out2d);
            assertClose(full, ops.download(out2d), 2e-5, "2D window " + height + "x" + width + " = full attention");
            // 1D over the flattened tokens: window = length.
            if (tokens % 2 == 1) {
                DeviceTensor out1d = poisoned(1, tokens, heads, d);
                ops.neighborhood(upload(q, 1, tokens, heads, d), upload(k, 1, tokens, kvHeads, d),
                        upload(v, 1, tokens, kvHeads, d), NeighborhoodSpec.of1d(tokens), out1d);
                assertClose(full, ops.download(out1d), 2e-5, "1D window " + tokens + " = full attention");
            }
        }
    }

    /** Causal 1D with the window as large as the input is causal attention. */
    @Test
    void causalWindowAsLargeAsTheInputIsCausalAttention() {
        Random r = new Random(16);
        int tokens = 37;
        int d = 12;
        float[] q = randoms(r, tokens * 2 * d, 1);
        float[] k = randoms(r, tokens * d, 1);
        float[] v = randoms(r, tokens * d, 1);
        DeviceTensor out = poisoned(1, tokens, 2, d);
        ops.neighborhood(upload(q, 1, tokens, 2, d), upload(k, 1, tokens, 1, d), upload(v, 1, tokens, 1, d),
                NeighborhoodSpec.of(new NeighborhoodAxis(tokens, 1, true)), out);
        assertClose(AttentionReference.attention(q, k, v, 1, tokens, tokens, 2, 1, d, true, 1 / Math.sqrt(d)),
                ops.download(out), 2e-5, "causal window = causal attention");
    }

    @Test
    void flashAttentionMatchesReference() {
        Random r = new Random(17);
        for (int c = 0; c < Math.max(3, cases() / 2); c++) {
            int batch = 1 + r.nextInt(2);
            int keys = 1 + r.nextInt(70);
            boolean causal = r.nextBoolean();
            int queries = 1 + r.nextInt(keys);
            int heads = 1 + r.nextInt(4);
            int kvHeads = divisorOf(r, heads);
            int d = 1 + r.nextInt(48);
            float[] q = randoms(r, batch * queries * heads * d, 1);
            float[] k = randoms(r, batch * keys * kvHeads * d, 1);
            float[] v = randoms(r, batch * keys * kvHeads * d, 1);
            DeviceTensor out = poisoned(batch, queries, heads, d);
            ops.flashAttention(upload(q, batch, queries, heads, d), upload(k, batch, keys, kvHeads, d),
                    upload(v, batch, keys, kvHeads, d), new FlashAttentionSpec(causal, Float.NaN), out);
            assertClose(AttentionReference.attention(q, k, v, batch, queries, keys, heads, kvHeads, d, causal, 1 / Math.sqrt(d)),
                    ops.download(out), 2e-5, "flash " + batch + "x" + queries + "/" + keys + " heads " + heads + "/" + kvHeads
                            + " d " + d + (causal ? " causal" : ""));
        }
    }

    @Test
    void everyOpValidatesItsArgumentsByName() {
        DeviceTensor q = upload(new float[2 * 5 * 4 * 8], 2, 5, 4, 8);
        DeviceTensor k = upload(new float[2 * 5 * 3 * 8], 2, 5, 3, 8);
        DeviceTensor kOk = upload(new float[2 * 5 * 2 * 8], 2, 5, 2, 8);
        DeviceTensor out = upload(new float[2 * 5 * 4 * 8], 2, 5, 4, 8);
        assertMessage("k: kvHeads 3 must divide q's heads 4", () -> ops.lightning(q, k, k, LightningSpec.linear(4),
                LightningTuning.DEFAULT, null, out));
        assertMessage("spec.decay[1]: must be in (0, 1]", () -> ops.lightning(q, kOk, kOk,
                new LightningSpec(new float[]{1, 1.5f, 1, 1}, FeatureMap.IDENTITY), LightningTuning.DEFAULT, null, out));
        assertMessage("spec.decay: needs one λ per query head (4), got 2", () -> ops.lightning(q, kOk, kOk,
                LightningSpec.linear(2), LightningTuning.DEFAULT, null, out));
        assertMessage("tuning.blockSize", () -> ops.lightning(q, kOk, kOk, LightningSpec.linear(4),
                new LightningTuning(-1), null, out));
        assertMessage("q: a recurrent step takes exactly 1 token", () -> {
            try (LightningState s = ops.lightningState(2, 4, 8, 8)) {
                ops.lightningStep(q, kOk, kOk, LightningSpec.linear(4), s, out);
            }
        });
        assertMessage("spec.axes[0].kernelSize: must be odd", () -> ops.neighborhood(q, kOk, kOk, NeighborhoodSpec.of1d(4), out));
        assertMessage("spec.axes[0].kernelSize: 3 x dilation 2 exceeds the input's size 5",
                () -> ops.neighborhood(q, kOk, kOk, NeighborhoodSpec.of(new NeighborhoodAxis(3, 2, false)), out));
        assertMessage("q: must be [batch, height, width, heads, headDim]",
                () -> ops.neighborhood(q, kOk, kOk, NeighborhoodSpec.of2d(1, 1), out));
        assertMessage("out: shape [2, 5, 4, 7] must be [2, 5, 4, 8]",
                () -> ops.flashAttention(q, kOk, kOk, FlashAttentionSpec.full(), upload(new float[2 * 5 * 4 * 7], 2, 5, 4, 7)));
        assertMessage("spec.scale", () -> ops.flashAttention(q, kOk, kOk, FlashAttentionSpec.full().withScale(-1), out));
        assertMessage("data: holds 3 elements but the shape needs 4", () -> ops.upload(new float[3], 2, 2));
    }

    private static void assertMessage(String start, Runnable call) {
        FlashjException e = assertThrows(FlashjException.class, call::run);
        assertTrue(e.getMessage().startsWith(start), () -> "message '" + e.getMessage() + "' should start with '" + start + "'");
    }
}
