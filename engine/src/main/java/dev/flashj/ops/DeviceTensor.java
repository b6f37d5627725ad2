package dev.flashj.ops;

/**
 * A dense row-major float32 tensor owned by one {@link AttentionOps} (host memory for the CPU ops,
 * a device buffer for OpenCL). Create it with {@link AttentionOps#upload} or
 * {@link AttentionOps#allocate}, read it back with {@link AttentionOps#download}, and close it when
 * done (closing a CPU tensor is a no-op). Only the ops that made a tensor can use it.
 */
public interface DeviceTensor extends AutoCloseable {

    /** The dimensions, outermost first (a fresh copy). */
    int[] shape();

    /** The product of the dimensions. */
    default long elementCount() {
        long n = 1;
        for (int d : shape()) {
            n *= d;
        }
        return n;
    }

    /** The device id of the ops that own it: "cpu", "opencl:0:0". */
    String device();

    @Override
    void close();
}
