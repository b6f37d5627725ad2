package dev.flashj.cpu;

/** Placeholder (runs serially) until the worker pool lands: splits index ranges across CPU threads. */
public final class CpuThreads implements AutoCloseable {
    private final int threads;

    public CpuThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        this.threads = threads;
    }

    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    public int size() {
        return threads;
    }

    /** Runs {@code task} over [0, n) in contiguous chunks, one per thread; returns when all are done. */
    public void parallelFor(int n, RangeTask task) {
        task.run(0, n);
    }

    @Override
    public void close() {
    }

    /** A chunk of work over [start, end). */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }
}
