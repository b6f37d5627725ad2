package dev.flashj.opencl.runtime;

import dev.flashj.opencl.bind.ClLibrary;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.flashj.opencl.runtime.ClCheck.check;

/** A built program. Owned by the {@link ClContext} that compiled and caches it; kernels made from it are the caller's. */
public final class ClProgram {
    private final ClLibrary cl;
    private final MemorySegment program;
    private final ClDevice device;
    private final String label;
    private boolean released;

    ClProgram(ClLibrary cl, MemorySegment program, ClDevice device, String label) {
        this.cl = cl;
        this.program = program;
        this.device = device;
        this.label = label;
    }

    /** A new kernel object for entry point {@code name}; the caller owns (closes) it. */
    public ClKernel kernel(String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = ClCheck.errcode(a);
            MemorySegment k = cl.clCreateKernel(program, a.allocateFrom(name), err);
            return new ClKernel(cl, ClCheck.created(k, err, "clCreateKernel", "for kernel " + name + " of " + label),
                    device, name);
        }
    }

    synchronized void close() {
        if (!released) {
            released = true;
            check(cl.clReleaseProgram(program), "clReleaseProgram");
        }
    }
}
