package dev.flashj.cuda.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.flashj.cuda.runtime.CudaCheck.check;

/** A CUDA event: a point in a stream, for timing kernels (GPU clock, not the host's). */
public final class CudaEvent implements AutoCloseable {
    private final CudaContext context;
    private final MemorySegment handle;
    private boolean destroyed;

    CudaEvent(CudaContext context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
    }

    public void record(CudaStream stream) {
        check(context.driver(), context.driver().cuEventRecord(handle, stream.handle()), "cuEventRecord");
    }

    public void synchronize() {
        check(context.driver(), context.driver().cuEventSynchronize(handle), "cuEventSynchronize");
    }

    /** Milliseconds from {@code start} to this event, both recorded and complete. */
    public float millisecondsSince(CudaEvent start) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ms = arena.allocate(ValueLayout.JAVA_FLOAT);
            check(context.driver(), context.driver().cuEventElapsedTime(ms, start.handle, handle), "cuEventElapsedTime");
            return ms.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    @Override
    public void close() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        check(context.driver(), context.driver().cuEventDestroy(handle), "cuEventDestroy_v2");
    }
}
