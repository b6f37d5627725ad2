package dev.flashj.cuda.runtime;

import dev.flashj.FlashjException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The {@code void** kernelParams} of cuLaunchKernel, filled with typed values: slot i holds argument
 * i (8 bytes, enough for any scalar or pointer), and pointer i points at slot i. Reused between
 * launches ({@link #reset()}), so launching allocates nothing. Not thread-safe: one per stream user.
 */
public final class KernelArgs implements AutoCloseable {
    public static final int MAX_ARGS = 24;
    private static final long SLOT = 8;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment values = arena.allocate(SLOT * MAX_ARGS, 16);
    private final MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS, MAX_ARGS);
    private int count;

    public KernelArgs() {
        for (int i = 0; i < MAX_ARGS; i++) {
            pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(i * SLOT, SLOT));
        }
    }

    /** Forgets the previous launch's arguments. */
    public KernelArgs reset() {
        count = 0;
        return this;
    }

    private long next() {
        if (count == MAX_ARGS) {
            throw new FlashjException("more than " + MAX_ARGS + " kernel arguments");
        }
        values.set(ValueLayout.JAVA_LONG, count * SLOT, 0L);  // no stale upper bytes under a 4-byte value
        return count++ * SLOT;
    }

    /** A {@code T*} argument: the device address of {@code byteOffset} into {@code buffer}. */
    public KernelArgs pointer(DeviceBuffer buffer, long byteOffset) {
        return devicePointer(buffer.address(byteOffset));
    }

    public KernelArgs pointer(DeviceBuffer buffer) {
        return pointer(buffer, 0);
    }

    /** A raw CUdeviceptr (0 is {@code nullptr}). */
    public KernelArgs devicePointer(long address) {
        values.set(ValueLayout.JAVA_LONG, next(), address);
        return this;
    }

    /** An {@code int} argument. */
    public KernelArgs i32(int value) {
        values.set(ValueLayout.JAVA_INT, next(), value);
        return this;
    }

    /** A {@code long} (64-bit) argument. */
    public KernelArgs i64(long value) {
        values.set(ValueLayout.JAVA_LONG, next(), value);
        return this;
    }

    /** A {@code float} argument. */
    public KernelArgs f32(float value) {
        values.set(ValueLayout.JAVA_FLOAT, next(), value);
        return this;
    }

    public int count() {
        return count;
    }

    /** The array to pass as kernelParams. */
    public MemorySegment kernelParams() {
        return pointers;
    }

    /** The 8 bytes of slot {@code index}, as a long (for checks and error messages). */
    public long slotBits(int index) {
        return values.get(ValueLayout.JAVA_LONG, index * SLOT);
    }

    @Override
    public void close() {
        arena.close();
    }
}
