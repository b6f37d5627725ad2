package dev.flashj.opencl.runtime;

import dev.flashj.FlashjException;
import dev.flashj.opencl.bind.ClErrors;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Turns OpenCL return codes into {@link FlashjException}s that name the call and the error. */
final class ClCheck {
    private ClCheck() {
    }

    /** Throws unless {@code rc} is CL_SUCCESS: "clFinish failed: CL_OUT_OF_RESOURCES (-5)". */
    static void check(int rc, String call) {
        if (rc != 0) {
            throw new FlashjException(call + " failed: " + ClErrors.describe(rc));
        }
    }

    /** Same, with what was being done ("allocating 4096 bytes for kv cache"). */
    static void check(int rc, String call, String doing) {
        if (rc != 0) {
            throw failure(rc, call, doing);
        }
    }

    /**
     * The exception for a failed call. Hot paths test {@code rc} themselves and build {@code doing} only on
     * failure: concatenating it on every call cost a few hundred bytes and a microsecond per launch.
     */
    static FlashjException failure(int rc, String call, String doing) {
        return new FlashjException(call + " failed " + doing + ": " + ClErrors.describe(rc)
                + (ClErrors.isOutOfMemory(rc) ? " (the device is out of memory)" : ""));
    }

    /** A cl_int out-parameter for the create functions. */
    static MemorySegment errcode(Arena arena) {
        MemorySegment e = arena.allocate(ValueLayout.JAVA_INT);
        e.set(ValueLayout.JAVA_INT, 0, -9999);
        return e;
    }

    static int errcodeValue(MemorySegment errcode) {
        return errcode.get(ValueLayout.JAVA_INT, 0);
    }

    /** Checks a create call: its errcode and a non-null handle. */
    static MemorySegment created(MemorySegment handle, MemorySegment errcode, String call, String doing) {
        int rc = errcodeValue(errcode);
        check(rc, call, doing);
        if (handle.equals(MemorySegment.NULL)) {
            throw new FlashjException(call + " failed " + doing + ": returned NULL with CL_SUCCESS");
        }
        return handle;
    }
}
