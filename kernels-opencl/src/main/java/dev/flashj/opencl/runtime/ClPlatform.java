package dev.flashj.opencl.runtime;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One OpenCL platform (an installed driver) and its devices.
 *
 * @param index   position in clGetPlatformIDs order: the P of "opencl:P:D"
 * @param handle  the cl_platform_id
 * @param devices every device of the platform, in clGetDeviceIDs order
 */
public record ClPlatform(int index, MemorySegment handle, String name, String vendor, String version,
                         List<ClDevice> devices) {
}
