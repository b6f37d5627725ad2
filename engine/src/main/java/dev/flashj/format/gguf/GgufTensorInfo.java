package dev.flashj.format.gguf;

import dev.flashj.tensor.TensorType;

/**
 * One validated tensor info entry of a GGUF header.
 *
 * @param ggufDims dimensions as GGUF stores them, innermost first
 * @param offset   byte offset within the data section
 * @param byteSize bytes the data takes
 */
record GgufTensorInfo(String name, long[] ggufDims, TensorType type, long offset, long byteSize) {

    /** The shape outermost-first, as {@link dev.flashj.tensor.Tensor} wants it. */
    long[] shape() {
        long[] shape = new long[ggufDims.length];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = ggufDims[ggufDims.length - 1 - i];
        }
        return shape;
    }
}
