package dev.flashj.opencl.kernels;

import dev.flashj.opencl.runtime.ClBuffer;

/**
 * A row-major [rows, cols] weight matrix in a device buffer, stored as f32 or as IEEE half (f16).
 *
 * @param f16 true when each element is a 2-byte half read with vload_half
 */
public record DeviceMatrix(ClBuffer buffer, int rows, int cols, boolean f16) {

    public DeviceMatrix {
        long needed = (long) rows * cols * (f16 ? 2 : 4);
        if (rows <= 0 || cols <= 0 || buffer.byteSize() < needed) {
            throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] " + (f16 ? "f16" : "f32")
                    + " needs " + needed + " bytes, buffer " + buffer.purpose() + " has " + buffer.byteSize());
        }
    }
}
