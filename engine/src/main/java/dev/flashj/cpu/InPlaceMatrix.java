package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;

import java.util.Objects;

/** A weight matrix multiplied straight from its mapped tensor by {@link MatMul}'s kernels. */
record InPlaceMatrix(Tensor source) implements CpuMatrix {
    InPlaceMatrix {
        Objects.requireNonNull(source, "source");
    }

    @Override
    public void matmul(CpuThreads threads, float[] x, int xOffset, int batch, float[] out, int outOffset) {
        MatMul.matmul(threads, source, x, xOffset, batch, out, outOffset);
    }

    @Override
    public boolean quantizesActivations(int batch) {
        return false;
    }

    @Override
    public void matmulPerToken(CpuThreads threads, float[] x, int xOffset, int batch, float[] out, int outOffset) {
        MatMul.matmulPerToken(threads, source, x, xOffset, batch, out, outOffset);
    }
}
