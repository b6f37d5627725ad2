package dev.flashj.cuda.runtime;

import dev.flashj.FlashjException;

/** A CUDA driver call that failed: the call, the CUresult, its cuda.h name and the driver's description. */
public final class CudaException extends FlashjException {
    private final String call;
    private final int code;
    private final String errorName;

    public CudaException(String call, int code, String errorName, String description) {
        super(message(call, code, errorName, description));
        this.call = call;
        this.code = code;
        this.errorName = errorName;
    }

    /** "cuMemAlloc_v2 (KV cache, 1048576 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory". */
    static String message(String call, int code, String errorName, String description) {
        String text = call + " failed: " + errorName + " (" + code + ")";
        return description == null || description.isBlank() ? text : text + ": " + description;
    }

    public String call() {
        return call;
    }

    public int code() {
        return code;
    }

    public String errorName() {
        return errorName;
    }
}
