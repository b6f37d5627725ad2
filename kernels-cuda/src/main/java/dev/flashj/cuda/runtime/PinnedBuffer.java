package dev.flashj.cuda.runtime;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cuda.runtime.CudaCheck.check;

/** Page-locked host memory (cuMemAllocHost): the staging area for asynchronous copies. Closing frees it. */
public final class PinnedBuffer implements AutoCloseable {
    private final CudaContext context;
    private final MemorySegment memory;
    private final String purpose;
    private boolean freed;

    PinnedBuffer(CudaContext context, MemorySegment memory, String purpose) {
        this.context = context;
        this.memory = memory;
        this.purpose = purpose;
    }

    /** The host memory; do not use it after {@link #close()}. */
    public MemorySegment segment() {
        if (freed) {
            throw new IllegalStateException("pinned buffer '" + purpose + "' was freed");
        }
        return memory;
    }

    @Override
    public void close() {
        if (freed) {
            return;
        }
        freed = true;
        context.makeCurrent();
        check(context.driver(), context.driver().cuMemFreeHost(memory), "cuMemFreeHost(" + purpose + ")");
    }
}
