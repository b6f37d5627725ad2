package dev.flashj.cuda.runtime;

import dev.flashj.FlashjException;
import dev.flashj.cuda.bind.CudaDriverLibrary;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.flashj.cuda.bind.CudaConstants.CU_STREAM_NON_BLOCKING;
import static dev.flashj.cuda.runtime.CudaCheck.check;

/**
 * A device's primary context (shared with any other user of the driver in this process, as the CUDA
 * runtime does). The driver's "current context" is per thread: {@link #makeCurrent()} before using
 * the context from a new thread; every factory here does it itself. Closing releases the retain.
 */
public final class CudaContext implements AutoCloseable {
    private final CudaDriverLibrary driver;
    private final CudaDevice device;
    private final MemorySegment handle;
    private boolean closed;

    private CudaContext(CudaDriverLibrary driver, CudaDevice device, MemorySegment handle) {
        this.driver = driver;
        this.device = device;
        this.handle = handle;
    }

    static CudaContext retainPrimary(CudaDriverLibrary driver, CudaDevice device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
            check(driver, driver.cuDevicePrimaryCtxRetain(slot, device.handle()), "cuDevicePrimaryCtxRetain(" + device.id() + ")");
            CudaContext context = new CudaContext(driver, device, slot.get(ValueLayout.ADDRESS, 0));
            context.makeCurrent();
            return context;
        }
    }

    public CudaDriverLibrary driver() {
        return driver;
    }

    public CudaDevice device() {
        return device;
    }

    /** Binds the context to the calling thread (cheap; call at the top of every entry point that may run on a new thread). */
    public void makeCurrent() {
        requireOpen();
        check(driver, driver.cuCtxSetCurrent(handle), "cuCtxSetCurrent(" + device.id() + ")");
    }

    public void synchronize() {
        makeCurrent();
        check(driver, driver.cuCtxSynchronize(), "cuCtxSynchronize(" + device.id() + ")");
    }

    /** A stream that does not synchronise with the legacy default stream. */
    public CudaStream createStream() {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
            check(driver, driver.cuStreamCreate(slot, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
            return new CudaStream(this, slot.get(ValueLayout.ADDRESS, 0));
        }
    }

    /** {@code bytes} of device memory, uninitialised; {@code purpose} appears in errors ("layer 3 key cache"). */
    public DeviceBuffer allocate(long bytes, String purpose) {
        if (bytes <= 0) {
            throw new FlashjException("cannot allocate " + bytes + " bytes for " + purpose);
        }
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ValueLayout.JAVA_LONG);
            check(driver, driver.cuMemAlloc(slot, bytes), "cuMemAlloc_v2(" + purpose + ", " + bytes + " bytes on " + device.id() + ")");
            return new DeviceBuffer(this, slot.get(ValueLayout.JAVA_LONG, 0), bytes, purpose);
        }
    }

    /** Page-locked host memory, for fast and asynchronous copies. */
    public PinnedBuffer allocatePinned(long bytes, String purpose) {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
            check(driver, driver.cuMemAllocHost(slot, bytes), "cuMemAllocHost_v2(" + purpose + ", " + bytes + " bytes)");
            return new PinnedBuffer(this, slot.get(ValueLayout.ADDRESS, 0).reinterpret(bytes), purpose);
        }
    }

    /** Free and total device memory now (cuMemGetInfo). */
    public long[] memoryInfo() {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            check(driver, driver.cuMemGetInfo(free, total), "cuMemGetInfo_v2");
            return new long[] {free.get(ValueLayout.JAVA_LONG, 0), total.get(ValueLayout.JAVA_LONG, 0)};
        }
    }

    /** Loads a fatbin, cubin or NUL-terminated PTX image; the driver picks the cubin for this GPU or JIT-compiles the PTX. */
    public CudaModule loadModule(byte[] image, String name) {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(image.length + 1L, 16);
            MemorySegment.copy(image, 0, data, ValueLayout.JAVA_BYTE, 0, image.length);
            MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
            check(driver, driver.cuModuleLoadData(slot, data), "cuModuleLoadData(" + name + " on " + device.id() + ", " + device.arch() + ")");
            return new CudaModule(this, slot.get(ValueLayout.ADDRESS, 0), name);
        }
    }

    public CudaEvent createEvent() {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
            check(driver, driver.cuEventCreate(slot, 0), "cuEventCreate");
            return new CudaEvent(this, slot.get(ValueLayout.ADDRESS, 0));
        }
    }

    void requireOpen() {
        if (closed) {
            throw new IllegalStateException("CUDA context of " + device.id() + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        check(driver, driver.cuDevicePrimaryCtxRelease(device.handle()), "cuDevicePrimaryCtxRelease_v2(" + device.id() + ")");
    }
}
