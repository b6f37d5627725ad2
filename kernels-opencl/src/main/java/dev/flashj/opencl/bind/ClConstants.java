package dev.flashj.opencl.bind;

/** The OpenCL 1.2 enumeration values FlashJ uses (values from the Khronos cl.h header). */
public final class ClConstants {
    public static final int CL_SUCCESS = 0;
    public static final int CL_TRUE = 1;

    public static final long CL_DEVICE_TYPE_CPU = 1L << 1;
    public static final long CL_DEVICE_TYPE_GPU = 1L << 2;
    public static final long CL_DEVICE_TYPE_ACCELERATOR = 1L << 3;
    public static final long CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;

    public static final int CL_PLATFORM_VERSION = 0x0901;
    public static final int CL_PLATFORM_NAME = 0x0902;
    public static final int CL_PLATFORM_VENDOR = 0x0903;

    public static final int CL_DEVICE_TYPE = 0x1000;
    public static final int CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002;
    public static final int CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    public static final int CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010;
    public static final int CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F;
    public static final int CL_DEVICE_LOCAL_MEM_SIZE = 0x1023;
    public static final int CL_DEVICE_NAME = 0x102B;
    public static final int CL_DEVICE_VENDOR = 0x102C;
    public static final int CL_DRIVER_VERSION = 0x102D;
    public static final int CL_DEVICE_VERSION = 0x102F;
    public static final int CL_DEVICE_EXTENSIONS = 0x1030;
    public static final int CL_DEVICE_OPENCL_C_VERSION = 0x103D;

    public static final long CL_QUEUE_PROFILING_ENABLE = 1L << 1;

    public static final long CL_MEM_READ_WRITE = 1L;

    public static final int CL_PROGRAM_BUILD_LOG = 0x1183;

    public static final int CL_KERNEL_WORK_GROUP_SIZE = 0x11B0;

    public static final int CL_PROFILING_COMMAND_QUEUED = 0x1280;
    public static final int CL_PROFILING_COMMAND_START = 0x1282;
    public static final int CL_PROFILING_COMMAND_END = 0x1283;

    private ClConstants() {
    }
}
