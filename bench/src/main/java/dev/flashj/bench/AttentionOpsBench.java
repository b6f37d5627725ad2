package dev.flashj.bench;

import dev.flashj.ops.AttentionOps;
import dev.flashj.ops.DeviceTensor;
import dev.flashj.ops.FlashAttentionSpec;
import dev.flashj.ops.LightningSpec;
import dev.flashj.ops.LightningTuning;
import dev.flashj.ops.NeighborhoodSpec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times the attention ops of {@link AttentionOps} and prints markdown tables (the source of
 * docs/perf/attention-ops.md): lightning attention's time per token from 1k to 64k tokens against
 * causal flash attention, and 2D neighborhood attention against full attention, over window and
 * image sizes.
 *
 * <p>Run from the repository root (OpenCL is found on the class path through its provider, so the
 * bench module does not depend on it):
 * <pre>
 * ./mvnw -q -o -pl bench,kernels-opencl -am package -DskipTests
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx3g \
 *      -cp engine/target/classes:kernels-opencl/target/classes:bench/target/classes \
 *      dev.flashj.bench.AttentionOpsBench [cpu|opencl|opencl:P:D ...] [--runs N] [--max-flash-tokens N] [--only lightning|neighborhood]
 * </pre>
 * Everything is warmed up first (JIT, OpenCL builds). Each figure is the median of {@code --runs} timed runs (default 5) after two warm-up runs; quadratic
 * baselines above {@code --max-flash-tokens} (default 16384) are not run. OpenCL timings include
 * waiting for the queue (a one-float read after the op), not the upload of the inputs.
 */
public final class AttentionOpsBench {
    private static final int[] LIGHTNING_TOKENS = {1024, 2048, 4096, 8192, 16384, 32768, 65536};
    private static final int LIGHTNING_HEADS = 2;
    private static final int HEAD_DIM = 64;

    private final AttentionOps ops;
    private final int runs;
    private final int maxFlashTokens;
    private final DeviceTensor fence;
    private final SplittableRandom random = new SplittableRandom(42);

    private AttentionOpsBench(AttentionOps ops, int runs, int maxFlashTokens) {
        this.ops = ops;
        this.runs = runs;
        this.maxFlashTokens = maxFlashTokens;
        this.fence = ops.upload(new float[1], 1);
    }

    public static void main(String[] args) {
        List<String> devices = new ArrayList<>();
        int runs = 5;
        int maxFlash = 16384;
        String only = "all";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--max-flash-tokens" -> maxFlash = Integer.parseInt(args[++i]);
                case "--only" -> only = args[++i];
                default -> devices.add(args[i]);
            }
        }
        if (devices.isEmpty()) {
            devices = List.of("cpu", "opencl");
        }
        for (String device : devices) {
            try (AttentionOps ops = AttentionOps.open(device)) {
                AttentionOpsBench bench = new AttentionOpsBench(ops, runs, maxFlash);
                System.out.printf(Locale.ROOT, "%n## %s (%s)%n", device, ops.device());
                bench.warmUp();
                if (!only.equals("neighborhood")) {
                    bench.lightningVsFlash();
                }
                if (!only.equals("lightning")) {
                    bench.neighborhood();
                }
            } catch (RuntimeException e) {
                System.out.println("## " + device + ": skipped (" + e.getMessage() + ")");
            }
        }
    }

    /** The median of {@code timedRuns} timings in milliseconds, after warm-up runs (two when timing several). */
    private double medianMillis(Runnable op, int timedRuns) {
        for (int w = 0; w < (timedRuns > 1 ? 2 : 1); w++) {
            op.run();
            ops.download(fence);
        }
        double[] ms = new double[timedRuns];
        for (int r = 0; r < timedRuns; r++) {
            long t0 = System.nanoTime();
            op.run();
            ops.download(fence); // in-order queue: returns once the op has finished
            ms[r] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return timedRuns % 2 == 1 ? ms[timedRuns / 2] : (ms[timedRuns / 2 - 1] + ms[timedRuns / 2]) / 2;
    }

    /** Compiles every code path (JIT, OpenCL programs) before anything is timed. */
    private void warmUp() {
        try (DeviceTensor q = random(1, 2048, LIGHTNING_HEADS, HEAD_DIM);
             DeviceTensor out = ops.allocate(1, 2048, LIGHTNING_HEADS, HEAD_DIM);
             DeviceTensor img = random(1, 32, 32, 1, HEAD_DIM);
             DeviceTensor imgOut = ops.allocate(1, 32, 32, 1, HEAD_DIM)) {
            LightningSpec spec = LightningSpec.uniform(LIGHTNING_HEADS, 0.999f);
            for (int i = 0; i < 10; i++) {
                ops.lightning(q, q, q, spec, LightningTuning.DEFAULT, null, out);
                ops.neighborhood(img, img, img, NeighborhoodSpec.of2d(13, 13), imgOut);
                ops.flashAttention(q, q, q, FlashAttentionSpec.causalMask(), out);
                ops.download(fence);
            }
        }
    }

    private DeviceTensor random(int... shape) {
        int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = (float) (random.nextDouble() * 2 - 1) * 0.125f;
        }
        return ops.upload(data, shape);
    }

    private void lightningVsFlash() {
        System.out.printf(Locale.ROOT, "%n### Lightning vs causal flash attention (batch 1, %d heads, head dim %d)%n%n",
                LIGHTNING_HEADS, HEAD_DIM);
        System.out.println("| tokens | lightning ms | lightning µs/token | flash (causal) ms | flash µs/token |");
        System.out.println("|---:|---:|---:|---:|---:|");
        LightningSpec spec = LightningSpec.uniform(LIGHTNING_HEADS, 0.999f);
        for (int tokens : LIGHTNING_TOKENS) {
            try (DeviceTensor q = random(1, tokens, LIGHTNING_HEADS, HEAD_DIM);
                 DeviceTensor k = random(1, tokens, LIGHTNING_HEADS, HEAD_DIM);
                 DeviceTensor v = random(1, tokens, LIGHTNING_HEADS, HEAD_DIM);
                 DeviceTensor out = ops.allocate(1, tokens, LIGHTNING_HEADS, HEAD_DIM)) {
                double lightning = medianMillis(() -> ops.lightning(q, k, v, spec, LightningTuning.DEFAULT, null, out), runs);
                String flashMs = "not run";
                String flashPerToken = "";
                if (tokens <= maxFlashTokens) {
                    int flashRuns = tokens > 8192 ? 1 : Math.max(1, Math.min(runs, 3));
                    double flash = medianMillis(() -> ops.flashAttention(q, k, v, FlashAttentionSpec.causalMask(), out), flashRuns);
                    flashMs = String.format(Locale.ROOT, "%.1f", flash) + (flashRuns == 1 ? " (1 run)" : "");
                    flashPerToken = String.format(Locale.ROOT, "%.2f", flash * 1000 / tokens);
                }
                System.out.printf(Locale.ROOT, "| %d | %.1f | %.2f | %s | %s |%n", tokens, lightning, lightning * 1000 / tokens,
                        flashMs, flashPerToken);
            }
        }
    }

    private void neighborhood() {
        int heads = 1;
        System.out.printf(Locale.ROOT, "%n### 2D neighborhood attention (batch 1, %d head, head dim %d)%n%n", heads, HEAD_DIM);
        System.out.println("| image | window | neighborhood ms | full attention ms | speed-up |");
        System.out.println("|---|---|---:|---:|---:|");
        int[][] cases = {{128, 7, 1}, {128, 13, 1}, {128, 21, 1}, {64, 13, 0}, {96, 13, 0}, {192, 13, 0}};
        for (int[] c : cases) {
            int side = c[0];
            int window = c[1];
            boolean withFull = c[2] == 1 && window == 13;
            try (DeviceTensor q = random(1, side, side, heads, HEAD_DIM);
                 DeviceTensor k = random(1, side, side, heads, HEAD_DIM);
                 DeviceTensor v = random(1, side, side, heads, HEAD_DIM);
                 DeviceTensor out = ops.allocate(1, side, side, heads, HEAD_DIM)) {
                double na = medianMillis(() -> ops.neighborhood(q, k, v, NeighborhoodSpec.of2d(window, window), out), runs);
                String full = "";
                String speedup = "";
                if (withFull) {
                    int tokens = side * side;
                    try (DeviceTensor qf = random(1, tokens, heads, HEAD_DIM);
                         DeviceTensor kf = random(1, tokens, heads, HEAD_DIM);
                         DeviceTensor vf = random(1, tokens, heads, HEAD_DIM);
                         DeviceTensor of = ops.allocate(1, tokens, heads, HEAD_DIM)) {
                        double f = medianMillis(() -> ops.flashAttention(qf, kf, vf, FlashAttentionSpec.full(), of), 1);
                        full = String.format(Locale.ROOT, "%.1f (1 run)", f);
                        speedup = String.format(Locale.ROOT, "%.1fx", f / na);
                    }
                }
                System.out.printf(Locale.ROOT, "| %dx%d | %dx%d | %.1f | %s | %s |%n", side, side, window, window, na, full, speedup);
            }
        }
    }
}
