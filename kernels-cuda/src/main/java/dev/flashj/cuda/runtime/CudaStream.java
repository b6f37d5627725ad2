package dev.flashj.cuda.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.flashj.cuda.bind.CudaConstants.CUDA_SUCCESS;
import static dev.flashj.cuda.runtime.CudaCheck.check;

/**
 * A CUDA stream: kernels and copies run in order on it. Copies are asynchronous; methods that return
 * host data synchronise first. Host memory given to an async copy must stay valid until
 * {@link #synchronize()}: the helpers that stage Java arrays do that themselves. Error messages are built
 * only on failure: the copies sit on the decode path.
 */
public final class CudaStream implements AutoCloseable {
    private final CudaContext context;
    private final MemorySegment handle;
    private boolean destroyed;

    CudaStream(CudaContext context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
    }

    MemorySegment handle() {
        return handle;
    }

    public CudaContext context() {
        return context;
    }

    public void synchronize() {
        check(context.driver(), context.driver().cuStreamSynchronize(handle), "cuStreamSynchronize");
    }

    /** Host (native: mapped file, pinned or arena memory) to device, asynchronously. */
    public void copyToDevice(DeviceBuffer destination, long destinationOffset, MemorySegment source) {
        destination.checkRange(destinationOffset, source.byteSize(), "copy to device");
        int code = context.driver().cuMemcpyHtoDAsync(destination.address(destinationOffset), source, source.byteSize(), handle);
        if (code != CUDA_SUCCESS) {
            throw CudaCheck.exception(context.driver(), code, "cuMemcpyHtoDAsync_v2(" + destination.purpose() + ", "
                    + source.byteSize() + " bytes)");
        }
    }

    /** Device to host (native memory), asynchronously. */
    public void copyToHost(MemorySegment destination, DeviceBuffer source, long sourceOffset) {
        source.checkRange(sourceOffset, destination.byteSize(), "copy to host");
        int code = context.driver().cuMemcpyDtoHAsync(destination, source.address(sourceOffset), destination.byteSize(),
                handle);
        if (code != CUDA_SUCCESS) {
            throw CudaCheck.exception(context.driver(), code, "cuMemcpyDtoHAsync_v2(" + source.purpose() + ", "
                    + destination.byteSize() + " bytes)");
        }
    }

    public void copyDeviceToDevice(DeviceBuffer destination, long destinationOffset, DeviceBuffer source, long sourceOffset,
                                   long bytes) {
        destination.checkRange(destinationOffset, bytes, "device copy");
        source.checkRange(sourceOffset, bytes, "device copy");
        int code = context.driver().cuMemcpyDtoDAsync(destination.address(destinationOffset), source.address(sourceOffset),
                bytes, handle);
        if (code != CUDA_SUCCESS) {
            throw CudaCheck.exception(context.driver(), code, "cuMemcpyDtoDAsync_v2(" + source.purpose() + " -> "
                    + destination.purpose() + ")");
        }
    }

    /** Sets {@code count} 32-bit words to {@code bits} (e.g. a NaN pattern to poison outputs). */
    public void fill32(DeviceBuffer destination, long destinationOffset, int bits, long count) {
        destination.checkRange(destinationOffset, 4 * count, "fill");
        int code = context.driver().cuMemsetD32Async(destination.address(destinationOffset), bits, count, handle);
        if (code != CUDA_SUCCESS) {
            throw CudaCheck.exception(context.driver(), code, "cuMemsetD32Async(" + destination.purpose() + ")");
        }
    }

    /** Copies floats to the device and waits (the staging memory is freed on return). */
    public void writeFloats(DeviceBuffer destination, long destinationOffset, float[] values) {
        try (Arena arena = Arena.ofConfined()) {
            copyToDevice(destination, destinationOffset, arena.allocateFrom(ValueLayout.JAVA_FLOAT, values));
            synchronize();
        }
    }

    public void writeInts(DeviceBuffer destination, long destinationOffset, int[] values) {
        try (Arena arena = Arena.ofConfined()) {
            copyToDevice(destination, destinationOffset, arena.allocateFrom(ValueLayout.JAVA_INT, values));
            synchronize();
        }
    }

    /** Raw 16-bit values (fp16 or bf16 bits). */
    public void writeShorts(DeviceBuffer destination, long destinationOffset, short[] values) {
        try (Arena arena = Arena.ofConfined()) {
            copyToDevice(destination, destinationOffset, arena.allocateFrom(ValueLayout.JAVA_SHORT, values));
            synchronize();
        }
    }

    /** Waits for the stream, then reads {@code count} floats. */
    public float[] readFloats(DeviceBuffer source, long sourceOffset, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(ValueLayout.JAVA_FLOAT, count);
            copyToHost(staging, source, sourceOffset);
            synchronize();
            return staging.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    public int[] readInts(DeviceBuffer source, long sourceOffset, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(ValueLayout.JAVA_INT, count);
            copyToHost(staging, source, sourceOffset);
            synchronize();
            return staging.toArray(ValueLayout.JAVA_INT);
        }
    }

    public short[] readShorts(DeviceBuffer source, long sourceOffset, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(ValueLayout.JAVA_SHORT, count);
            copyToHost(staging, source, sourceOffset);
            synchronize();
            return staging.toArray(ValueLayout.JAVA_SHORT);
        }
    }

    @Override
    public void close() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        context.makeCurrent();
        check(context.driver(), context.driver().cuStreamDestroy(handle), "cuStreamDestroy_v2");
    }
}
