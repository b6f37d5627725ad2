package dev.flashj.cli.bench;

import dev.flashj.ops.AttentionOps;

/**
 * A device the harness runs cases on: how it times one launch, what its ceilings are, and the
 * attention ops on it. Cases that need more (the OpenCL matmul kernels, CPU threads) ask for the
 * concrete type. Not thread-safe.
 */
public sealed interface BenchBackend extends AutoCloseable permits CpuBackend, OpenClBackend, CudaBackend {

    /** The device id used on the command line: "cpu", "opencl:0:0", "cuda:0". */
    String id();

    /** What it is, for the report header. */
    String description();

    /**
     * The duration of one {@code launch}: device time from the first kernel's start to the last
     * one's end on OpenCL (profiling events), between two events around it on the CUDA stream, wall
     * time on the CPU (whose ops are synchronous).
     */
    long timeNanos(Runnable launch);

    /**
     * Measures memory bandwidth and compute throughput (a few seconds). {@code small} shrinks every
     * measurement about tenfold (for tests and smoke runs; the numbers are then rougher).
     */
    Ceilings measureCeilings(boolean small);

    /** The last-level cache the input rotation must outgrow, in bytes (an estimate where the system does not say). */
    long cacheBytes();

    /** Whether {@link #attentionOps()} exists here (CUDA's cases drive its kernels directly instead). */
    default boolean hasAttentionOps() {
        return true;
    }

    /**
     * The attention ops on this device (owned by the backend).
     *
     * @throws UnsupportedOperationException where {@link #hasAttentionOps()} is false
     */
    AttentionOps attentionOps();

    @Override
    void close();
}
