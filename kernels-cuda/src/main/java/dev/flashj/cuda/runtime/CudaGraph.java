package dev.flashj.cuda.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.flashj.cuda.bind.CudaConstants.CUDA_SUCCESS;
import static dev.flashj.cuda.bind.CudaConstants.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL;
import static dev.flashj.cuda.runtime.CudaCheck.check;

/**
 * An instantiated CUDA graph (a CUgraphExec): work recorded once from a stream by {@link #capture} and
 * replayed by {@link #launch} with the same kernels, arguments and copies. Whatever must change between
 * replays has to live in memory the recorded work reads (device buffers, or pinned host memory a recorded
 * copy reads at replay time). Closing destroys it.
 */
public final class CudaGraph implements AutoCloseable {
    private final CudaContext context;
    private final MemorySegment exec;
    private final String purpose;
    private boolean destroyed;

    private CudaGraph(CudaContext context, MemorySegment exec, String purpose) {
        this.context = context;
        this.exec = exec;
        this.purpose = purpose;
    }

    /**
     * Records what {@code work} enqueues on {@code stream} (which it must not synchronise, nor allocate, nor
     * copy from pageable host memory) and instantiates it. If {@code work} or the capture fails, the capture is
     * ended and any partial graph destroyed before the exception propagates, so the stream stays usable.
     */
    public static CudaGraph capture(CudaStream stream, String purpose, Runnable work) {
        CudaContext context = stream.context();
        context.makeCurrent();
        var driver = context.driver();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment graphSlot = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment execSlot = arena.allocate(ValueLayout.ADDRESS);
            check(driver, driver.cuStreamBeginCapture(stream.handle(), CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                    "cuStreamBeginCapture_v2(" + purpose + ")");
            try {
                work.run();
            } catch (RuntimeException | Error e) {
                // Leave capture mode whatever state the capture is in; the partial graph (if any) is of no use.
                int code = driver.cuStreamEndCapture(stream.handle(), graphSlot);
                MemorySegment partial = graphSlot.get(ValueLayout.ADDRESS, 0);
                if (code == CUDA_SUCCESS && !partial.equals(MemorySegment.NULL)) {
                    driver.cuGraphDestroy(partial);
                }
                throw e;
            }
            check(driver, driver.cuStreamEndCapture(stream.handle(), graphSlot), "cuStreamEndCapture(" + purpose + ")");
            MemorySegment graph = graphSlot.get(ValueLayout.ADDRESS, 0);
            int instantiated = driver.cuGraphInstantiateWithFlags(execSlot, graph, 0L);
            // The executable graph is independent of the graph it was made from.
            int destroyedGraph = driver.cuGraphDestroy(graph);
            check(driver, instantiated, "cuGraphInstantiateWithFlags(" + purpose + ")");
            MemorySegment exec = execSlot.get(ValueLayout.ADDRESS, 0);
            if (destroyedGraph != CUDA_SUCCESS) {
                driver.cuGraphExecDestroy(exec);
                check(driver, destroyedGraph, "cuGraphDestroy(" + purpose + ")");
            }
            return new CudaGraph(context, exec, purpose);
        }
    }

    /** Enqueues one replay on {@code stream}. */
    public void launch(CudaStream stream) {
        if (destroyed) {
            throw new IllegalStateException("CUDA graph '" + purpose + "' was destroyed");
        }
        check(context.driver(), context.driver().cuGraphLaunch(exec, stream.handle()), "cuGraphLaunch(" + purpose + ")");
    }

    @Override
    public void close() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        context.makeCurrent();
        check(context.driver(), context.driver().cuGraphExecDestroy(exec), "cuGraphExecDestroy(" + purpose + ")");
    }
}
