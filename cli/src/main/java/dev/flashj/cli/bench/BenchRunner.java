package dev.flashj.cli.bench;

import dev.flashj.FlashjException;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Runs planned cases on one backend: prepare, sanity-check the first run against a reference
 * (a failed check stops the benchmark: a fast wrong kernel is not a result), warm up, time, and
 * turn the run times into a {@link BenchResult}.
 */
public final class BenchRunner {

    /** One case to run: an op at a shape and dtype. */
    public record Planned(BenchOp op, Shape shape, Dtype dtype) {
        String label() {
            return op.name() + " " + shape + " " + dtype.cliName();
        }
    }

    private final BenchBackend backend;
    private final Ceilings ceilings;
    private final TimingPlan timing;
    private final InputPlan inputs;
    private final PrintWriter progress;
    private final UnaryOperator<Comparison> checkHook;

    public BenchRunner(BenchBackend backend, Ceilings ceilings, TimingPlan timing, InputPlan inputs, PrintWriter progress) {
        this(backend, ceilings, timing, inputs, progress, UnaryOperator.identity());
    }

    /** With a hook that may alter each comparison before it is judged (tests break the reference with it). */
    BenchRunner(BenchBackend backend, Ceilings ceilings, TimingPlan timing, InputPlan inputs, PrintWriter progress,
                UnaryOperator<Comparison> checkHook) {
        this.backend = backend;
        this.ceilings = ceilings;
        this.timing = timing;
        this.inputs = inputs;
        this.progress = progress;
        this.checkHook = checkHook;
    }

    /** Runs every planned case in order, reporting progress on the progress stream. */
    public List<BenchResult> run(List<Planned> planned) {
        List<BenchResult> results = new ArrayList<>();
        for (int i = 0; i < planned.size(); i++) {
            Planned p = planned.get(i);
            progress.printf(Locale.ROOT, "bench [%d/%d] %s on %s (%d left after this)%n", i + 1, planned.size(), p.label(),
                    backend.id(), planned.size() - i - 1);
            progress.flush();
            results.add(run(p));
        }
        return results;
    }

    BenchResult run(Planned p) {
        try (BenchCase c = p.op().prepare(backend, p.shape(), p.dtype(), inputs)) {
            Comparison check = checkHook.apply(c.check());
            double error = check.relativeError();
            if (!check.passes()) {
                int at = check.worstIndex();
                throw new FlashjException(String.format(Locale.ROOT,
                        "sanity check failed for %s on %s: relative error %.3g exceeds %.1g against the %s"
                                + " (element %d: got %s, expected %s); not timing a wrong kernel",
                        p.label(), backend.id(), error, check.tolerance(), check.reference(), at,
                        check.actual()[at], check.expected()[at]));
            }
            int set = 1;
            long warmStart = System.nanoTime();
            for (int w = 0; w < TimingPlan.MAX_WARMUP_RUNS
                    && (w < timing.warmup() || System.nanoTime() - warmStart < timing.warmupSeconds() * 1e9); w++) {
                int s = set++;
                backend.timeNanos(() -> c.run(s));
            }
            long[] times = new long[timing.maxRuns()];
            int runs = 0;
            long total = 0;
            while (runs < timing.maxRuns() && (runs < timing.minRuns() || total < timing.maxSeconds() * 1e9)) {
                int s = set++;
                times[runs] = backend.timeNanos(() -> c.run(s));
                total += times[runs++];
            }
            Stats stats = Stats.of(java.util.Arrays.copyOf(times, runs));
            double seconds = stats.median() / 1e9;
            Work work = c.work();
            return new BenchResult(p.op().name(), p.shape().toString(), p.dtype().cliName(), backend.id(), runs,
                    c.inputSets(), stats.median() / 1e6, stats.p10() / 1e6, stats.p90() / 1e6,
                    work.flops() / seconds / 1e9, work.bytes() / seconds / 1e9, ceilings.bound(work),
                    ceilings.fraction(work, seconds), error);
        }
    }
}
