package dev.flashj.opencl.runtime;

import dev.flashj.opencl.bind.ClLibrary;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.flashj.opencl.bind.ClConstants.*;
import static dev.flashj.opencl.runtime.ClCheck.check;

/** A command's completion event with its profiling times; the caller owns (closes) it. */
public final class ClEvent implements AutoCloseable {
    private final ClLibrary cl;
    private final MemorySegment event;
    private final String what;
    private boolean released;

    ClEvent(ClLibrary cl, MemorySegment event, String what) {
        this.cl = cl;
        this.event = event;
        this.what = what;
    }

    /** Blocks until the command completed. */
    public void await() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = a.allocate(ValueLayout.ADDRESS);
            list.set(ValueLayout.ADDRESS, 0, event);
            check(cl.clWaitForEvents(1, list), "clWaitForEvents", "for " + what);
        }
    }

    /** Device time between the command's start and end, in nanoseconds (waits for it first). */
    public long elapsedNanos() {
        await();
        return profile(CL_PROFILING_COMMAND_END) - profile(CL_PROFILING_COMMAND_START);
    }

    /** A CL_PROFILING_COMMAND_* time stamp in device nanoseconds. */
    public long profile(int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(ValueLayout.JAVA_LONG);
            check(cl.clGetEventProfilingInfo(event, param, 8, value, MemorySegment.NULL),
                    "clGetEventProfilingInfo", "for " + what);
            return value.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    @Override
    public synchronized void close() {
        if (!released) {
            released = true;
            check(cl.clReleaseEvent(event), "clReleaseEvent");
        }
    }
}
