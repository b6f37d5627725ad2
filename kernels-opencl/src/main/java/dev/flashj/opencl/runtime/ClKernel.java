package dev.flashj.opencl.runtime;

import dev.flashj.FlashjException;
import dev.flashj.opencl.bind.ClLibrary;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.flashj.opencl.bind.ClConstants.CL_KERNEL_WORK_GROUP_SIZE;
import static dev.flashj.opencl.runtime.ClCheck.check;

/**
 * A kernel object with typed argument setters. Arguments stick between launches, as in OpenCL.
 * Not thread-safe (clSetKernelArg on a shared kernel races): each session owns its own kernels.
 */
public final class ClKernel implements AutoCloseable {
    private final ClLibrary cl;
    private final MemorySegment kernel;
    private final ClDevice device;
    private final String name;
    private final Arena arena = Arena.ofShared();
    /** Holds one argument value while clSetKernelArg copies it. */
    private final MemorySegment scratch = arena.allocate(8, 8);
    private final long workGroupSize;
    private boolean released;

    ClKernel(ClLibrary cl, MemorySegment kernel, ClDevice device, String name) {
        this.cl = cl;
        this.kernel = kernel;
        this.device = device;
        this.name = name;
        check(cl.clGetKernelWorkGroupInfo(kernel, device.handle(), CL_KERNEL_WORK_GROUP_SIZE, 8, scratch, MemorySegment.NULL),
                "clGetKernelWorkGroupInfo(CL_KERNEL_WORK_GROUP_SIZE) for " + name);
        this.workGroupSize = scratch.get(ValueLayout.JAVA_LONG, 0);
    }

    public String name() {
        return name;
    }

    public ClDevice device() {
        return device;
    }

    /** The largest work-group this kernel can run with on its device (CL_KERNEL_WORK_GROUP_SIZE). */
    public long maxWorkGroupSize() {
        return workGroupSize;
    }

    // Every launch sets several arguments: the error text is built only when a call fails.

    public ClKernel arg(int index, ClBuffer buffer) {
        scratch.set(ValueLayout.ADDRESS, 0, buffer.handle());
        int rc = cl.clSetKernelArg(kernel, index, ValueLayout.ADDRESS.byteSize(), scratch);
        if (rc != 0) {
            throw argumentFailure(rc, index, "buffer " + buffer.purpose());
        }
        return this;
    }

    public ClKernel arg(int index, int value) {
        scratch.set(ValueLayout.JAVA_INT, 0, value);
        int rc = cl.clSetKernelArg(kernel, index, 4, scratch);
        if (rc != 0) {
            throw argumentFailure(rc, index, "int " + value);
        }
        return this;
    }

    public ClKernel arg(int index, float value) {
        scratch.set(ValueLayout.JAVA_FLOAT, 0, value);
        int rc = cl.clSetKernelArg(kernel, index, 4, scratch);
        if (rc != 0) {
            throw argumentFailure(rc, index, "float " + value);
        }
        return this;
    }

    /** A {@code __local} argument of {@code bytes} bytes (no value: each work-group gets its own). */
    public ClKernel localArg(int index, long bytes) {
        int rc = cl.clSetKernelArg(kernel, index, bytes, MemorySegment.NULL);
        if (rc != 0) {
            throw argumentFailure(rc, index, "local " + bytes + " bytes");
        }
        return this;
    }

    private FlashjException argumentFailure(int rc, int index, String what) {
        return ClCheck.failure(rc, "clSetKernelArg", "for argument " + index + " (" + what + ") of kernel " + name);
    }

    MemorySegment handle() {
        return kernel;
    }

    @Override
    public synchronized void close() {
        if (!released) {
            released = true;
            check(cl.clReleaseKernel(kernel), "clReleaseKernel");
            arena.close();
        }
    }
}
