package dev.flashj.cuda.kernels;

import dev.flashj.tensor.TensorType;

import java.util.Optional;

/** The weight formats the CUDA kernels read without expanding them to 16 bits, and their kernels. */
public enum QuantFormat {
    /** GGUF blocks of 32: f16 scale, 32 int8 codes; read in place. */
    Q8_0(TensorType.Q8_0, "q8_0_gemv", 32),
    /** GGUF blocks of 32: f16 scale, 16 bytes of nibbles (value (q - 8) * scale); read in place. */
    Q4_0(TensorType.Q4_0, "q4_0_gemv", 32),
    /** GGUF super-blocks of 256: f16 d and dmin, 6-bit scales and mins per 32, nibbles; read in place. */
    Q4_K(TensorType.Q4_K, "q4_k_gemv", 256),
    /** GGUF super-blocks of 256: 4 + 2 bit codes, int8 scales per 16, f16 d; read in place. */
    Q6_K(TensorType.Q6_K, "q6_k_gemv", 256),
    /** FlashJ W4A16, groups of 128, repacked into the INT4 tile layout. */
    INT4_G128(TensorType.INT4_G128, "int4_gemv", 128),
    /** FlashJ W4A16, groups of 32, repacked into the INT4 tile layout. */
    INT4_G32(TensorType.INT4_G32, "int4_gemv", 32),
    /** FlashJ FP8 E4M3 with per-row scales, repacked into the FP8 tile layout. */
    FP8_E4M3(TensorType.FP8_E4M3, "fp8_gemv", 1);

    private final TensorType type;
    private final String kernel;
    private final int group;

    QuantFormat(TensorType type, String kernel, int group) {
        this.type = type;
        this.kernel = kernel;
        this.group = group;
    }

    public static Optional<QuantFormat> of(TensorType type) {
        for (QuantFormat f : values()) {
            if (f.type == type) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    public TensorType type() {
        return type;
    }

    /** The kernel's base name, without the token-count and type suffixes. */
    String kernel() {
        return kernel;
    }

    /** The kernel that expands the matrix to fp16 for prefill: "q8_0_dequantize_f16", "int4_dequantize_f16". */
    String dequantizeKernel() {
        return kernel.replace("_gemv", "_dequantize_f16");
    }

    /** Elements sharing one scale along k (1 for FP8, whose scale is per row). */
    int group() {
        return group;
    }

    /** Whether the file's bytes go to the GPU unchanged (GGUF blocks) rather than repacked. */
    public boolean inPlace() {
        return this == Q8_0 || this == Q4_0 || this == Q4_K || this == Q6_K;
    }

    /** Whether the kernel is a tile kernel that takes up to 8 or 16 tokens per block ("_t8" / "_t16"). */
    boolean tiled() {
        return !inPlace();
    }
}
