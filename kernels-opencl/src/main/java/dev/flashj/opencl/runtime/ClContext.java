package dev.flashj.opencl.runtime;

import dev.flashj.FlashjException;
import dev.flashj.opencl.bind.ClErrors;
import dev.flashj.opencl.bind.ClLibrary;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static dev.flashj.opencl.bind.ClConstants.*;
import static dev.flashj.opencl.runtime.ClCheck.check;

/**
 * An OpenCL context on one device. Owns the programs it compiled (each source is built once per
 * build-option string and cached until {@link #close()}), and creates buffers and queues, which
 * their callers own and close. Thread-safe.
 */
public final class ClContext implements AutoCloseable {
    /** Where the kernel sources live on the class path. */
    private static final String SOURCE_ROOT = "/dev/flashj/opencl/cl/";

    private final ClLibrary cl;
    private final ClDevice device;
    private final MemorySegment context;
    private final Map<String, ClProgram> programs = new ConcurrentHashMap<>();
    private final List<ClProgram> built = new ArrayList<>();
    private volatile boolean closed;

    ClContext(ClLibrary cl, ClDevice device) {
        this.cl = cl;
        this.device = device;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devices = a.allocate(ValueLayout.ADDRESS);
            devices.set(ValueLayout.ADDRESS, 0, device.handle());
            MemorySegment err = ClCheck.errcode(a);
            MemorySegment ctx = cl.clCreateContext(MemorySegment.NULL, 1, devices, MemorySegment.NULL, MemorySegment.NULL, err);
            this.context = ClCheck.created(ctx, err, "clCreateContext", "for " + device.describe());
        }
    }

    public ClDevice device() {
        return device;
    }

    /** A command queue with profiling enabled; the caller owns (closes) it. */
    public ClQueue createQueue() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = ClCheck.errcode(a);
            MemorySegment q = cl.clCreateCommandQueue(context, device.handle(), CL_QUEUE_PROFILING_ENABLE, err);
            return new ClQueue(cl, ClCheck.created(q, err, "clCreateCommandQueue", "on " + device.describe()));
        }
    }

    /**
     * A read-write device buffer of {@code bytes} bytes; the caller owns (closes) it.
     *
     * @param purpose what it holds, for messages ("kv cache", "blk.3.ffn_up.weight")
     * @throws FlashjException naming the bytes asked when the device cannot hold it
     */
    public ClBuffer createBuffer(long bytes, String purpose) {
        if (bytes <= 0) {
            throw new FlashjException("OpenCL buffer for " + purpose + ": size must be positive, got " + bytes);
        }
        if (bytes > device.maxAllocSize()) {
            throw new FlashjException("OpenCL buffer for " + purpose + ": " + bytes + " bytes asked, but "
                    + device.describe() + " allows at most " + device.maxAllocSize() + " bytes per buffer"
                    + " (CL_DEVICE_MAX_MEM_ALLOC_SIZE)");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = ClCheck.errcode(a);
            MemorySegment mem = cl.clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, MemorySegment.NULL, err);
            return new ClBuffer(cl, ClCheck.created(mem, err, "clCreateBuffer",
                    "allocating " + bytes + " bytes for " + purpose + " on " + device.describe()), bytes, purpose);
        }
    }

    /**
     * The program in class-path resource {@code dev/flashj/opencl/cl/NAME}, built with {@code options}
     * (compiled on first use, then cached).
     */
    public ClProgram program(String name, String options) {
        return programs.computeIfAbsent(name + "\u0000" + options, k -> build(name, loadSource(name), options));
    }

    /** A program from source text, cached under {@code label} and {@code options} like {@link #program}. */
    public ClProgram programFromSource(String label, String source, String options) {
        return programs.computeIfAbsent("src:" + label + "\u0000" + options, k -> build(label, source, options));
    }

    /** How many programs were compiled (tests check that the cache works). */
    public int compiledProgramCount() {
        return programs.size();
    }

    private static String loadSource(String name) {
        try (InputStream in = ClContext.class.getResourceAsStream(SOURCE_ROOT + name)) {
            if (in == null) {
                throw new FlashjException("OpenCL kernel source " + SOURCE_ROOT + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new FlashjException("cannot read OpenCL kernel source " + SOURCE_ROOT + name + ": " + e.getMessage(), e);
        }
    }

    private ClProgram build(String label, String source, String options) {
        if (closed) {
            throw new IllegalStateException("context closed");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment text = a.allocateFrom(source);
            MemorySegment strings = a.allocate(ValueLayout.ADDRESS);
            strings.set(ValueLayout.ADDRESS, 0, text);
            MemorySegment lengths = a.allocate(ValueLayout.JAVA_LONG);
            lengths.set(ValueLayout.JAVA_LONG, 0, source.getBytes(StandardCharsets.UTF_8).length);
            MemorySegment err = ClCheck.errcode(a);
            MemorySegment program = ClCheck.created(cl.clCreateProgramWithSource(context, 1, strings, lengths, err), err,
                    "clCreateProgramWithSource", "for " + label);
            MemorySegment devices = a.allocate(ValueLayout.ADDRESS);
            devices.set(ValueLayout.ADDRESS, 0, device.handle());
            int rc = cl.clBuildProgram(program, 1, devices, a.allocateFrom(options), MemorySegment.NULL, MemorySegment.NULL);
            if (rc != 0) {
                String log = buildLog(program);
                cl.clReleaseProgram(program);
                throw new FlashjException("clBuildProgram failed for " + label + " on " + device.describe()
                        + " with options \"" + options + "\": " + ClErrors.describe(rc) + "\nbuild log:\n" + log);
            }
            ClProgram p = new ClProgram(cl, program, device, label);
            synchronized (built) {
                built.add(p);
            }
            return p;
        }
    }

    private String buildLog(MemorySegment program) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(ValueLayout.JAVA_LONG);
            int rc = cl.clGetProgramBuildInfo(program, device.handle(), CL_PROGRAM_BUILD_LOG, 0, MemorySegment.NULL, size);
            if (rc != 0) {
                return "(no build log: clGetProgramBuildInfo failed: " + ClErrors.describe(rc) + ")";
            }
            long n = size.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment log = a.allocate(Math.max(1, n));
            rc = cl.clGetProgramBuildInfo(program, device.handle(), CL_PROGRAM_BUILD_LOG, n, log, MemorySegment.NULL);
            if (rc != 0) {
                return "(no build log: clGetProgramBuildInfo failed: " + ClErrors.describe(rc) + ")";
            }
            return OpenCl.cString(log, n);
        }
    }

    /** Releases the cached programs and the context; buffers and queues must be closed before. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (built) {
            for (ClProgram p : built) {
                p.close();
            }
            built.clear();
        }
        programs.clear();
        check(cl.clReleaseContext(context), "clReleaseContext");
    }
}
