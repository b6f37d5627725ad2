package dev.flashj.opencl.kernels;

import dev.flashj.opencl.runtime.ClBuffer;

/**
 * A row-major [rows, cols] weight matrix in a device buffer: f32, IEEE half (f16, read with
 * vload_half), or a GGUF block format in the device layout of {@link QuantLayout}.
 */
public record DeviceMatrix(ClBuffer buffer, int rows, int cols, WeightFormat format) {

    public DeviceMatrix {
        if (rows <= 0 || cols <= 0 || cols % format.blockSize() != 0) {
            throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] " + format
                    + ": sizes must be positive and a row a whole number of " + format.blockSize() + "-element blocks");
        }
        long needed = format.deviceBytes(rows, cols);
        if (buffer.byteSize() < needed) {
            throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] " + format
                    + " needs " + needed + " bytes, buffer " + buffer.purpose() + " has " + buffer.byteSize());
        }
    }

    /** A plain matrix: f16 when {@code f16}, f32 otherwise. */
    public DeviceMatrix(ClBuffer buffer, int rows, int cols, boolean f16) {
        this(buffer, rows, cols, f16 ? WeightFormat.F16 : WeightFormat.F32);
    }
}
