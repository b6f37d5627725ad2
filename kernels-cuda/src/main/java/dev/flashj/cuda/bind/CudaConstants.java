package dev.flashj.cuda.bind;

/** The numeric values from cuda.h (CUDA 13.0) that FlashJ passes to the driver. */
public final class CudaConstants {
    private CudaConstants() {
    }

    public static final int CUDA_SUCCESS = 0;

    // CUdevice_attribute
    public static final int CU_DEVICE_ATTRIBUTE_CLOCK_RATE = 13;
    public static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public static final int CU_DEVICE_ATTRIBUTE_PCI_BUS_ID = 33;
    public static final int CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36;
    public static final int CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37;
    public static final int CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38;
    public static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public static final int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

    // CUstream_flags, CUevent_flags
    public static final int CU_STREAM_NON_BLOCKING = 1;
    public static final int CU_EVENT_DEFAULT = 0;

    // CUstreamCaptureMode: THREAD_LOCAL forbids unsafe calls (allocation, synchronous copies) on the capturing
    // thread only, so other sessions' threads keep working while one session captures.
    public static final int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;

    // CUfunction_attribute
    public static final int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
}
