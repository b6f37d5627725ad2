package dev.flashj.cpu;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of CPU worker threads that splits index ranges into contiguous chunks.
 *
 * <p>A pool of size {@code N} runs {@code N} chunks at once: {@code N - 1} daemon platform threads
 * named {@code flashj-cpu-1 .. flashj-cpu-(N-1)} plus the calling thread, which always runs the
 * first chunk itself. Decoding a token issues about a hundred calls, so a call must cost
 * microseconds, not the tens of microseconds of an executor: the handoff is a generation counter
 * that idle workers spin on for a short while ({@link #SPIN_NANOS}) before they park, and a
 * countdown the caller spins on. Nothing is allocated per call.
 *
 * <p>{@link #parallelFor} is meant to be called by one thread at a time. A call made while another
 * is running (from a task, or from a second thread) does not deadlock: it runs serially on its own
 * thread. An exception thrown by any chunk is rethrown on the caller once every chunk has ended.
 */
public final class CpuThreads implements AutoCloseable {
    /** How long an idle worker keeps spinning for the next call before it parks. */
    static final long SPIN_NANOS = 200_000;
    /** How long the caller spins for the workers before it parks. */
    private static final long CALLER_SPIN_NANOS = 50_000;

    private final int size;
    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger pending = new AtomicInteger();

    // Published by the volatile write of `generation`, read by workers after they see it change.
    private RangeTask task;
    private int count;
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread waitingCaller;

    public CpuThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        this.size = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
        }
        for (Worker w : workers) {
            w.thread.start();
        }
    }

    /** One thread per available processor. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** The number of chunks run at once (workers plus the calling thread). */
    public int size() {
        return size;
    }

    /**
     * Runs {@code task} over [0, n) in contiguous chunks, one per thread (the first on the calling
     * thread); returns when all are done. Empty chunks are not run.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public void parallelFor(int n, RangeTask task) {
        if (closed) {
            throw new IllegalStateException("CpuThreads is closed");
        }
        if (n <= 0) {
            return;
        }
        if (size == 1 || n == 1 || !busy.compareAndSet(false, true)) {
            task.run(0, n);
            return;
        }
        try {
            runParallel(n, task);
        } finally {
            this.task = null;
            busy.set(false);
        }
    }

    private void runParallel(int n, RangeTask task) {
        this.task = task;
        this.count = n;
        for (Worker w : workers) {
            w.failure = null;
        }
        pending.set(workers.length);
        generation = generation + 1; // the volatile write that hands the call to the workers
        for (Worker w : workers) {
            if (w.parked) {
                LockSupport.unpark(w.thread);
            }
        }
        Throwable failure = null;
        try {
            int end = chunkEnd(0, n);
            if (end > 0) {
                task.run(0, end);
            }
        } catch (Throwable t) {
            failure = t;
        }
        awaitWorkers();
        for (Worker w : workers) {
            if (failure == null) {
                failure = w.failure;
            } else if (w.failure != null && w.failure != failure) {
                failure.addSuppressed(w.failure);
            }
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) { // a sneaky checked exception
            throw new IllegalStateException("a parallel task failed", failure);
        }
    }

    private int chunkEnd(int chunk, int n) {
        return (int) ((long) n * (chunk + 1) / size);
    }

    private void awaitWorkers() {
        if (pending.get() == 0) {
            return;
        }
        long start = System.nanoTime();
        while (pending.get() != 0) {
            if (System.nanoTime() - start < CALLER_SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                waitingCaller = Thread.currentThread();
                if (pending.get() != 0) {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
                }
                waitingCaller = null;
            }
        }
    }

    /** Stops the worker threads; later calls to {@link #parallelFor} throw. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        generation = generation + 1;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
        boolean interrupted = false;
        for (Worker w : workers) {
            try {
                w.thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** A chunk of work over [start, end). */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    private final class Worker implements Runnable {
        final int index;
        final Thread thread;
        volatile boolean parked;
        Throwable failure;

        Worker(int index) {
            this.index = index;
            this.thread = Thread.ofPlatform().daemon(true).name("flashj-cpu-" + index).unstarted(this);
        }

        @Override
        public void run() {
            long seen = 0; // the generation at construction, whenever this thread gets to run
            while (true) {
                long current = awaitNextGeneration(seen);
                seen = current;
                if (closed) {
                    return;
                }
                runChunk();
            }
        }

        private long awaitNextGeneration(long seen) {
            long spinStart = System.nanoTime();
            while (true) {
                long current = generation;
                if (current != seen || closed) {
                    return current;
                }
                if (System.nanoTime() - spinStart < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                // Announce the park, then look again: the caller unparks whoever it sees parked
                // after its volatile write, so either we see the new generation or it unparks us.
                parked = true;
                if (generation == seen && !closed) { // close() unparks after setting closed
                    LockSupport.park(this);
                }
                parked = false;
                spinStart = System.nanoTime();
            }
        }

        private void runChunk() {
            int n = count;
            int start = (int) ((long) n * index / size);
            int end = chunkEnd(index, n);
            try {
                if (end > start) {
                    task.run(start, end);
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                if (pending.decrementAndGet() == 0) {
                    Thread caller = waitingCaller;
                    if (caller != null) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }
    }
}
