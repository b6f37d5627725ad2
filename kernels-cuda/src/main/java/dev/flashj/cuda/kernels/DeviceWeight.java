package dev.flashj.cuda.kernels;

/**
 * A weight matrix [rows, cols] on the GPU as {@link CudaOps#matmul} takes it: 16-bit ({@link DeviceMatrix})
 * or kept quantized ({@link QuantizedMatrix}).
 */
public sealed interface DeviceWeight permits DeviceMatrix, QuantizedMatrix {
    int rows();

    int cols();
}
