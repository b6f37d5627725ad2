package dev.flashj.opencl.runtime;

import dev.flashj.opencl.bind.ClLibrary;

import java.lang.foreign.MemorySegment;

import static dev.flashj.opencl.runtime.ClCheck.check;

/** A device buffer (cl_mem), owned by whoever created it through {@link ClContext#createBuffer}. */
public final class ClBuffer implements AutoCloseable {
    private final ClLibrary cl;
    private final MemorySegment mem;
    private final long byteSize;
    private final String purpose;
    private boolean released;

    ClBuffer(ClLibrary cl, MemorySegment mem, long byteSize, String purpose) {
        this.cl = cl;
        this.mem = mem;
        this.byteSize = byteSize;
        this.purpose = purpose;
    }

    public long byteSize() {
        return byteSize;
    }

    /** What it holds, for messages. */
    public String purpose() {
        return purpose;
    }

    MemorySegment handle() {
        if (released) {
            throw new IllegalStateException("OpenCL buffer for " + purpose + " used after close");
        }
        return mem;
    }

    @Override
    public synchronized void close() {
        if (!released) {
            released = true;
            check(cl.clReleaseMemObject(mem), "clReleaseMemObject");
        }
    }
}
