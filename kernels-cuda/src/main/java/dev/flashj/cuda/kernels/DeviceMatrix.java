package dev.flashj.cuda.kernels;

import dev.flashj.cuda.runtime.DeviceBuffer;

/** A weight matrix on the GPU: [rows, cols] row-major in the ops' storage type. */
public record DeviceMatrix(DeviceBuffer buffer, int rows, int cols) implements DeviceWeight {
}
