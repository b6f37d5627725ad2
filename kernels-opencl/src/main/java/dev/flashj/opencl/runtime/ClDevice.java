package dev.flashj.opencl.runtime;

import java.lang.foreign.MemorySegment;

/**
 * One OpenCL device with the limits FlashJ sizes its kernels and checks its models with.
 *
 * @param platformIndex   P of "opencl:P:D"
 * @param deviceIndex     D of "opencl:P:D"
 * @param handle          the cl_device_id
 * @param type            "GPU", "CPU", "ACCELERATOR" or "OTHER"
 * @param maxWorkGroupSize CL_DEVICE_MAX_WORK_GROUP_SIZE
 * @param localMemSize    CL_DEVICE_LOCAL_MEM_SIZE in bytes
 * @param globalMemSize   CL_DEVICE_GLOBAL_MEM_SIZE in bytes
 * @param maxAllocSize    CL_DEVICE_MAX_MEM_ALLOC_SIZE: the largest single buffer
 */
public record ClDevice(int platformIndex, int deviceIndex, MemorySegment handle, String type, String name,
                       String vendor, String deviceVersion, String driverVersion, String openClCVersion,
                       int computeUnits, long maxWorkGroupSize, long localMemSize, long globalMemSize,
                       long maxAllocSize, String extensions) {

    /** "opencl:P:D". */
    public String id() {
        return "opencl:" + platformIndex + ":" + deviceIndex;
    }

    public boolean isGpu() {
        return type.equals("GPU");
    }

    public boolean hasExtension(String extension) {
        for (String e : extensions.split(" ")) {
            if (e.equals(extension)) {
                return true;
            }
        }
        return false;
    }

    /** "opencl:0:0 NVIDIA H100 (GPU, NVIDIA Corporation)", for display. */
    public String describe() {
        return id() + " " + name + " (" + type + ", " + vendor + ")";
    }
}
