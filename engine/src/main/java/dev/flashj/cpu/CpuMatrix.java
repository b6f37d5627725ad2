package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;

import java.lang.foreign.Arena;

/**
 * A weight matrix ready for the CPU kernels: either the file's tensor read in place, or a copy
 * repacked at load into a layout with a faster kernel (Q4_0, Q8_0, Q4_K, Q6_K and INT4, see {@link InterleavedMatrix}).
 * A repacked copy has the file's size, and the file's pages are then no longer touched.
 */
public sealed interface CpuMatrix permits InPlaceMatrix, InterleavedMatrix {
    /**
     * {@code -Dflashj.cpu.repack=false} keeps every matrix in place (for comparisons, or to save the
     * repacked copy's memory when a model barely fits).
     */
    String REPACK_PROPERTY = "flashj.cpu.repack";

    /** The tensor as the model file holds it (name, type, shape). */
    Tensor source();

    /** {@link MatMul#matmul}'s product with this matrix. */
    void matmul(CpuThreads threads, float[] x, int xOffset, int batch, float[] out, int outOffset);

    /** {@link MatMul#matmulPerToken}'s product: each token's output as if it were alone. */
    void matmulPerToken(CpuThreads threads, float[] x, int xOffset, int batch, float[] out, int outOffset);

    /**
     * Whether {@link #matmul} of {@code batch} tokens multiplies activations quantized to 8 bits per
     * 32-block (a repacked matrix's decode batches), so its error bound is llama.cpp's, not float's.
     */
    boolean quantizesActivations(int batch);

    /** The tensor read in place from its mapping. */
    static CpuMatrix inPlace(Tensor w) {
        return new InPlaceMatrix(w);
    }

    /**
     * The fastest form of {@code w} for this CPU: a repacked copy in {@code arena} where one exists
     * (Q4_0, Q8_0, Q4_K, Q6_K and INT4 on 512-bit vector hardware, multiplied with 8-bit quantized activations as
     * llama.cpp does), otherwise the tensor in place.
     */
    static CpuMatrix prepare(Tensor w, Arena arena) {
        CpuMatrix packed = repacks(w) ? InterleavedMatrix.of(w, arena) : null;
        return packed != null ? packed : inPlace(w);
    }

    /**
     * Whether {@link #prepare} repacks {@code w} on this CPU (its type has a repacked form, the vectors
     * are 512 bits wide, and {@link #REPACK_PROPERTY} does not say false); a non-finite scale may still
     * keep it in place.
     */
    static boolean repacks(Tensor w) {
        boolean enabled = !"false".equalsIgnoreCase(System.getProperty(REPACK_PROPERTY));
        return enabled && w.rank() == 2 && InterleavedMatrix.supported() && switch (w.type()) {
            case Q4_0, Q8_0, Q4_K, Q6_K, INT4_G128, INT4_G32 -> true;
            default -> false;
        };
    }
}
