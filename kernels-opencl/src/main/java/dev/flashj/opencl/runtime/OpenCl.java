package dev.flashj.opencl.runtime;

import dev.flashj.FlashjException;
import dev.flashj.opencl.bind.ClLibrary;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.flashj.opencl.bind.ClConstants.*;
import static dev.flashj.opencl.runtime.ClCheck.check;

/**
 * The checked OpenCL API: loads the ICD loader, lists platforms and devices, and creates
 * {@link ClContext}s. Every OpenCL return code is checked; failures throw a {@link FlashjException}
 * naming the call and the error. Owns the loaded library: close it after every context made from it.
 */
public final class OpenCl implements AutoCloseable {

    /** Why there is nothing to run on when the loader is there but no driver is. */
    public static final String NO_PLATFORM = "no OpenCL platform (install an ICD, e.g. pocl-opencl-icd)";

    private final Arena arena;
    private final ClLibrary cl;
    private final List<ClPlatform> platforms;

    private OpenCl(Arena arena, ClLibrary cl) {
        this.arena = arena;
        this.cl = cl;
        this.platforms = List.copyOf(listPlatforms());
    }

    /**
     * Loads libOpenCL.so.1 and enumerates platforms.
     *
     * @throws FlashjException "libOpenCL.so.1 not found", or an OpenCL call failure
     */
    public static OpenCl open() {
        Arena arena = Arena.ofShared();
        try {
            return new OpenCl(arena, ClLibrary.load(arena));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The platforms found at {@link #open()}; empty when the loader has no ICD installed. */
    public List<ClPlatform> platforms() {
        return platforms;
    }

    /** Every device of every platform. */
    public List<ClDevice> devices() {
        return platforms.stream().flatMap(p -> p.devices().stream()).toList();
    }

    /** A context and program cache for one device. */
    public ClContext createContext(ClDevice device) {
        return new ClContext(cl, device);
    }

    @Override
    public void close() {
        arena.close();
    }

    private List<ClPlatform> listPlatforms() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(ValueLayout.JAVA_INT);
            int rc = cl.clGetPlatformIDs(0, MemorySegment.NULL, count);
            if (rc == -1001) { // CL_PLATFORM_NOT_FOUND_KHR: the loader found no ICD
                return List.of();
            }
            check(rc, "clGetPlatformIDs");
            int n = count.get(ValueLayout.JAVA_INT, 0);
            if (n == 0) {
                return List.of();
            }
            MemorySegment ids = a.allocate(ValueLayout.ADDRESS, n);
            check(cl.clGetPlatformIDs(n, ids, count), "clGetPlatformIDs");
            List<ClPlatform> result = new ArrayList<>();
            for (int p = 0; p < n; p++) {
                MemorySegment id = ids.getAtIndex(ValueLayout.ADDRESS, p);
                result.add(new ClPlatform(p, id,
                        platformString(id, CL_PLATFORM_NAME, "CL_PLATFORM_NAME"),
                        platformString(id, CL_PLATFORM_VENDOR, "CL_PLATFORM_VENDOR"),
                        platformString(id, CL_PLATFORM_VERSION, "CL_PLATFORM_VERSION"),
                        listDevices(p, id)));
            }
            return result;
        }
    }

    private List<ClDevice> listDevices(int platformIndex, MemorySegment platform) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(ValueLayout.JAVA_INT);
            int rc = cl.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, count);
            if (rc == -1) { // CL_DEVICE_NOT_FOUND: a platform without devices
                return List.of();
            }
            check(rc, "clGetDeviceIDs");
            int n = count.get(ValueLayout.JAVA_INT, 0);
            MemorySegment ids = a.allocate(ValueLayout.ADDRESS, Math.max(1, n));
            check(cl.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n, ids, count), "clGetDeviceIDs");
            List<ClDevice> result = new ArrayList<>();
            for (int d = 0; d < n; d++) {
                MemorySegment id = ids.getAtIndex(ValueLayout.ADDRESS, d);
                result.add(new ClDevice(platformIndex, d, id, typeName(deviceLong(id, CL_DEVICE_TYPE, "CL_DEVICE_TYPE")),
                        deviceString(id, CL_DEVICE_NAME, "CL_DEVICE_NAME"),
                        deviceString(id, CL_DEVICE_VENDOR, "CL_DEVICE_VENDOR"),
                        deviceString(id, CL_DEVICE_VERSION, "CL_DEVICE_VERSION"),
                        deviceString(id, CL_DRIVER_VERSION, "CL_DRIVER_VERSION"),
                        deviceString(id, CL_DEVICE_OPENCL_C_VERSION, "CL_DEVICE_OPENCL_C_VERSION"),
                        deviceInt(id, CL_DEVICE_MAX_COMPUTE_UNITS, "CL_DEVICE_MAX_COMPUTE_UNITS"),
                        deviceLong(id, CL_DEVICE_MAX_WORK_GROUP_SIZE, "CL_DEVICE_MAX_WORK_GROUP_SIZE"),
                        deviceLong(id, CL_DEVICE_LOCAL_MEM_SIZE, "CL_DEVICE_LOCAL_MEM_SIZE"),
                        deviceLong(id, CL_DEVICE_GLOBAL_MEM_SIZE, "CL_DEVICE_GLOBAL_MEM_SIZE"),
                        deviceLong(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, "CL_DEVICE_MAX_MEM_ALLOC_SIZE"),
                        deviceString(id, CL_DEVICE_EXTENSIONS, "CL_DEVICE_EXTENSIONS")));
            }
            return result;
        }
    }

    private static String typeName(long type) {
        if ((type & CL_DEVICE_TYPE_GPU) != 0) {
            return "GPU";
        }
        if ((type & CL_DEVICE_TYPE_CPU) != 0) {
            return "CPU";
        }
        if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) {
            return "ACCELERATOR";
        }
        return "OTHER";
    }

    private String platformString(MemorySegment platform, int param, String paramName) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(ValueLayout.JAVA_LONG);
            check(cl.clGetPlatformInfo(platform, param, 0, MemorySegment.NULL, size), "clGetPlatformInfo(" + paramName + ")");
            long n = size.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment value = a.allocate(Math.max(1, n));
            check(cl.clGetPlatformInfo(platform, param, n, value, MemorySegment.NULL), "clGetPlatformInfo(" + paramName + ")");
            return cString(value, n);
        }
    }

    private String deviceString(MemorySegment device, int param, String paramName) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(ValueLayout.JAVA_LONG);
            check(cl.clGetDeviceInfo(device, param, 0, MemorySegment.NULL, size), "clGetDeviceInfo(" + paramName + ")");
            long n = size.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment value = a.allocate(Math.max(1, n));
            check(cl.clGetDeviceInfo(device, param, n, value, MemorySegment.NULL), "clGetDeviceInfo(" + paramName + ")");
            return cString(value, n);
        }
    }

    /** cl_ulong and size_t (64-bit here) values. */
    private long deviceLong(MemorySegment device, int param, String paramName) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(ValueLayout.JAVA_LONG);
            check(cl.clGetDeviceInfo(device, param, 8, value, MemorySegment.NULL), "clGetDeviceInfo(" + paramName + ")");
            return value.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** cl_uint values. */
    private int deviceInt(MemorySegment device, int param, String paramName) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(ValueLayout.JAVA_INT);
            check(cl.clGetDeviceInfo(device, param, 4, value, MemorySegment.NULL), "clGetDeviceInfo(" + paramName + ")");
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** A NUL-terminated string of at most {@code n} bytes, trimmed. */
    static String cString(MemorySegment value, long n) {
        byte[] bytes = value.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        int len = 0;
        while (len < bytes.length && bytes[len] != 0) {
            len++;
        }
        return new String(bytes, 0, len, StandardCharsets.UTF_8).trim();
    }
}
