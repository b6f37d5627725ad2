package dev.flashj.opencl.runtime;

import dev.flashj.opencl.bind.ClLibrary;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static dev.flashj.opencl.bind.ClConstants.CL_TRUE;
import static dev.flashj.opencl.runtime.ClCheck.check;
import static dev.flashj.opencl.runtime.ClCheck.failure;

/**
 * An in-order command queue with profiling enabled. Reads and writes block; kernel launches are
 * asynchronous until {@link #finish()} or a read. Not thread-safe: one session drives one queue.
 */
public final class ClQueue implements AutoCloseable {
    private final ClLibrary cl;
    private final MemorySegment queue;
    /**
     * Native memory a launch passes to the driver (global and local sizes, the event slot), allocated once:
     * a confined arena per launch cost about as much as the rest of the binding's work (docs/perf/bindings.md).
     */
    private final Arena launchArena = Arena.ofShared();
    private final MemorySegment globalSizes = launchArena.allocate(ValueLayout.JAVA_LONG, 3);
    private final MemorySegment localSizes = launchArena.allocate(ValueLayout.JAVA_LONG, 3);
    private final MemorySegment eventSlot = launchArena.allocate(ValueLayout.ADDRESS);
    private boolean released;
    /** While recording: the events of every kernel launch and buffer copy, for timing whole ops. */
    private List<ClEvent> recorded;

    ClQueue(ClLibrary cl, MemorySegment queue) {
        this.cl = cl;
        this.queue = queue;
    }

    /** Copies {@code src} (native memory, e.g. a mapped file slice) into {@code dst} at byte {@code dstOffset}. */
    public void write(ClBuffer dst, long dstOffset, MemorySegment src) {
        Objects.checkFromIndexSize(dstOffset, src.byteSize(), dst.byteSize());
        int rc = cl.clEnqueueWriteBuffer(queue, dst.handle(), CL_TRUE, dstOffset, src.byteSize(), src, 0,
                MemorySegment.NULL, MemorySegment.NULL);
        if (rc != 0) {
            throw failure(rc, "clEnqueueWriteBuffer", "writing " + src.byteSize() + " bytes to " + dst.purpose());
        }
    }

    public void writeFloats(ClBuffer dst, long elementOffset, float[] values) {
        try (Arena a = Arena.ofConfined()) {
            write(dst, elementOffset * 4, a.allocateFrom(ValueLayout.JAVA_FLOAT, values));
        }
    }

    public void writeInts(ClBuffer dst, long elementOffset, int[] values) {
        try (Arena a = Arena.ofConfined()) {
            write(dst, elementOffset * 4, a.allocateFrom(ValueLayout.JAVA_INT, values));
        }
    }

    /** Writes IEEE binary16 bit patterns. */
    public void writeHalves(ClBuffer dst, long elementOffset, short[] values) {
        try (Arena a = Arena.ofConfined()) {
            write(dst, elementOffset * 2, a.allocateFrom(ValueLayout.JAVA_SHORT, values));
        }
    }

    /** Copies {@code dst.byteSize()} bytes from {@code src} at byte {@code srcOffset} into native {@code dst}. */
    public void read(ClBuffer src, long srcOffset, MemorySegment dst) {
        Objects.checkFromIndexSize(srcOffset, dst.byteSize(), src.byteSize());
        int rc = cl.clEnqueueReadBuffer(queue, src.handle(), CL_TRUE, srcOffset, dst.byteSize(), dst, 0,
                MemorySegment.NULL, MemorySegment.NULL);
        if (rc != 0) {
            throw failure(rc, "clEnqueueReadBuffer", "reading " + dst.byteSize() + " bytes from " + src.purpose());
        }
    }

    public float[] readFloats(ClBuffer src, long elementOffset, int count) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dst = a.allocate(ValueLayout.JAVA_FLOAT, count);
            read(src, elementOffset * 4, dst);
            return dst.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /** Sets every float of {@code dst} to {@code value} (NaN poisons outputs in tests). */
    public void fill(ClBuffer dst, float value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pattern = a.allocateFrom(ValueLayout.JAVA_FLOAT, value);
            long bytes = dst.byteSize() / 4 * 4;
            check(cl.clEnqueueFillBuffer(queue, dst.handle(), pattern, 4, 0, bytes, 0, MemorySegment.NULL,
                    MemorySegment.NULL), "clEnqueueFillBuffer", "filling " + dst.purpose());
        }
    }

    public void copy(ClBuffer src, long srcOffset, ClBuffer dst, long dstOffset, long bytes) {
        Objects.checkFromIndexSize(srcOffset, bytes, src.byteSize());
        Objects.checkFromIndexSize(dstOffset, bytes, dst.byteSize());
        MemorySegment event = recorded != null ? eventSlot : MemorySegment.NULL;
        int rc = cl.clEnqueueCopyBuffer(queue, src.handle(), dst.handle(), srcOffset, dstOffset, bytes, 0,
                MemorySegment.NULL, event);
        if (rc != 0) {
            throw failure(rc, "clEnqueueCopyBuffer", "copying " + bytes + " bytes from " + src.purpose() + " to "
                    + dst.purpose());
        }
        if (recorded != null) {
            recorded.add(new ClEvent(cl, eventSlot.get(ValueLayout.ADDRESS, 0), "copy to " + dst.purpose()));
        }
    }

    /**
     * Starts keeping the event of every kernel launch and buffer copy enqueued from now on, so that a
     * benchmark can time a whole op (several kernels) on the device clock.
     */
    public void startRecording() {
        if (recorded != null) {
            throw new IllegalStateException("already recording");
        }
        recorded = new ArrayList<>();
    }

    /** Stops recording and hands over the events kept since {@link #startRecording()} (the caller closes them). */
    public List<ClEvent> stopRecording() {
        if (recorded == null) {
            throw new IllegalStateException("not recording");
        }
        List<ClEvent> events = recorded;
        recorded = null;
        return events;
    }

    /**
     * Enqueues {@code kernel} over an NDRange of {@code global} work-items in groups of {@code local}
     * (each global size a multiple of its local size, as OpenCL 1.2 requires).
     */
    public void run(ClKernel kernel, long[] global, long[] local) {
        enqueue(kernel, global, local, false);
    }

    /** Like {@link #run}, returning the launch's event for profiling. */
    public ClEvent runProfiled(ClKernel kernel, long[] global, long[] local) {
        return enqueue(kernel, global, local, true);
    }

    private ClEvent enqueue(ClKernel kernel, long[] global, long[] local, boolean wantEvent) {
        if (global.length != local.length || global.length < 1 || global.length > 3) {
            throw new IllegalArgumentException("kernel " + kernel.name() + ": 1 to 3 dimensions with matching local sizes");
        }
        for (int d = 0; d < global.length; d++) {
            if (local[d] <= 0 || global[d] <= 0 || global[d] % local[d] != 0) {
                throw new IllegalArgumentException("kernel " + kernel.name() + ": global size " + global[d]
                        + " is not a positive multiple of local size " + local[d] + " in dimension " + d);
            }
        }
        MemorySegment.copy(global, 0, globalSizes, ValueLayout.JAVA_LONG, 0, global.length);
        MemorySegment.copy(local, 0, localSizes, ValueLayout.JAVA_LONG, 0, local.length);
        boolean keep = wantEvent || recorded != null;
        MemorySegment event = keep ? eventSlot : MemorySegment.NULL;
        int rc = cl.clEnqueueNDRangeKernel(queue, kernel.handle(), global.length, MemorySegment.NULL, globalSizes,
                localSizes, 0, MemorySegment.NULL, event);
        if (rc != 0) {
            throw failure(rc, "clEnqueueNDRangeKernel", "for kernel " + kernel.name());
        }
        if (!keep) {
            return null;
        }
        ClEvent launched = new ClEvent(cl, eventSlot.get(ValueLayout.ADDRESS, 0), kernel.name());
        if (wantEvent) {
            return launched;
        }
        recorded.add(launched);
        return null;
    }

    /** Waits for every enqueued command. */
    public void finish() {
        check(cl.clFinish(queue), "clFinish");
    }

    @Override
    public synchronized void close() {
        if (!released) {
            released = true;
            launchArena.close();
            check(cl.clReleaseCommandQueue(queue), "clReleaseCommandQueue");
        }
    }
}
