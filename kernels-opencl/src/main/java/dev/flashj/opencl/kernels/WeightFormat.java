package dev.flashj.opencl.kernels;

import dev.flashj.tensor.TensorType;

import java.util.Optional;

/**
 * How a {@link DeviceMatrix} stores its elements. F32 and F16 are plain row-major arrays; the
 * GGUF block formats keep the file's bytes (re-laid by {@link QuantLayout}) and are dequantized
 * inside the kernels of quant_matmul.cl.
 */
public enum WeightFormat {
    F32(TensorType.F32, "f32"),
    F16(TensorType.F16, "f16"),
    Q8_0(TensorType.Q8_0, "q8_0"),
    Q4_0(TensorType.Q4_0, "q4_0"),
    Q5_0(TensorType.Q5_0, "q5_0"),
    Q4_K(TensorType.Q4_K, "q4_k"),
    Q5_K(TensorType.Q5_K, "q5_k"),
    Q6_K(TensorType.Q6_K, "q6_k");

    private final TensorType fileType;
    private final String kernelSuffix;

    WeightFormat(TensorType fileType, String kernelSuffix) {
        this.fileType = fileType;
        this.kernelSuffix = kernelSuffix;
    }

    /** The GGUF type whose bytes this format holds. */
    public TensorType fileType() {
        return fileType;
    }

    /** The suffix of this format's kernels: matvec_q4_0, matmul_q4_0, embedding_q4_0. */
    String kernelSuffix() {
        return kernelSuffix;
    }

    /** True for the block formats read in place by quant_matmul.cl. */
    public boolean isBlockQuantized() {
        return fileType.isQuantized();
    }

    /** Elements per block along a row (1 for F32/F16): a row's length must be a multiple of it. */
    public int blockSize() {
        return fileType.blockSize();
    }

    /** Bytes of a [rows, cols] matrix on the device: the file's size for every format. */
    public long deviceBytes(int rows, int cols) {
        return fileType.matrixBytes(rows, cols);
    }

    /** The format a file type is read in place as, if any (BF16 and the other quantized types are not). */
    public static Optional<WeightFormat> inPlace(TensorType type) {
        for (WeightFormat f : values()) {
            if (f.fileType == type) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
