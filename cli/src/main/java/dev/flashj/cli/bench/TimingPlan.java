package dev.flashj.cli.bench;

/**
 * How long to time each case: untimed runs (JIT, kernel builds, caches) until at least
 * {@code warmup} of them and {@code warmupSeconds} have passed, then timed runs until
 * {@code maxRuns} or, once {@code minRuns} are in, until {@code maxSeconds} of timed work.
 */
public record TimingPlan(int warmup, double warmupSeconds, int minRuns, int maxRuns, double maxSeconds) {
    /** Warm-up stops here even when the time is not up (tiny ops). */
    static final int MAX_WARMUP_RUNS = 2000;

    public TimingPlan {
        if (warmup < 0 || warmupSeconds < 0 || minRuns < 1 || maxRuns < minRuns || !(maxSeconds > 0)) {
            throw new IllegalArgumentException("timing plan " + warmup + "/" + minRuns + "/" + maxRuns + "/" + maxSeconds);
        }
    }
}
