package dev.flashj.cuda.kernels;

import dev.flashj.cuda.runtime.DeviceBuffer;

/**
 * A weight matrix [rows, cols] kept quantized on the GPU, read by kernels that dequantize as they go.
 * {@code data}: the GGUF blocks as in the file (Q8_0, Q4_0, Q4_K, Q6_K) or the tile layout of
 * dev.flashj.cuda.quant.Int4TileLayout / Fp8TileLayout; {@code params}: the INT4 (scale, offset) pairs or the
 * FP8 row scales of that layout, null for the GGUF formats (their scales sit in the blocks).
 */
public record QuantizedMatrix(QuantFormat format, DeviceBuffer data, DeviceBuffer params, int rows, int cols)
        implements DeviceWeight {
    public QuantizedMatrix {
        if ((params == null) != format.inPlace()) {
            throw new IllegalArgumentException(format + ": params must be " + (format.inPlace() ? "absent" : "present"));
        }
    }
}
