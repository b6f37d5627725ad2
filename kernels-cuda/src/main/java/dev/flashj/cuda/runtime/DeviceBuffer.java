package dev.flashj.cuda.runtime;

import dev.flashj.FlashjException;

import static dev.flashj.cuda.runtime.CudaCheck.check;

/** Device memory from cuMemAlloc; {@code purpose} names it in errors. Closing frees it (once). */
public final class DeviceBuffer implements AutoCloseable {
    private final CudaContext context;
    private final long pointer;
    private final long byteSize;
    private final String purpose;
    private boolean freed;

    DeviceBuffer(CudaContext context, long pointer, long byteSize, String purpose) {
        this.context = context;
        this.pointer = pointer;
        this.byteSize = byteSize;
        this.purpose = purpose;
    }

    /** The CUdeviceptr of byte {@code offset}, checked against the buffer's size. */
    public long address(long offset) {
        if (freed) {
            throw new IllegalStateException("device buffer '" + purpose + "' was freed");
        }
        if (offset < 0 || offset > byteSize) {
            throw new FlashjException("offset " + offset + " outside device buffer '" + purpose + "' of " + byteSize + " bytes");
        }
        return pointer + offset;
    }

    public long address() {
        return address(0);
    }

    public long byteSize() {
        return byteSize;
    }

    public String purpose() {
        return purpose;
    }

    /** Throws unless [offset, offset + bytes) lies inside the buffer. */
    public void checkRange(long offset, long bytes, String what) {
        if (offset < 0 || bytes < 0 || offset > byteSize - bytes) {
            throw new FlashjException(what + ": bytes [" + offset + ", " + (offset + bytes) + ") outside device buffer '"
                    + purpose + "' of " + byteSize + " bytes");
        }
    }

    @Override
    public void close() {
        if (freed) {
            return;
        }
        freed = true;
        context.makeCurrent();
        check(context.driver(), context.driver().cuMemFree(pointer), "cuMemFree_v2(" + purpose + ")");
    }
}
