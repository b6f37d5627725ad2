package dev.flashj.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named tensor whose bytes are a slice of a memory-mapped model file, or an off-heap copy of one
 * (the CPU model's huge-page weights); never a heap copy.
 * The shape is row-major with the outermost dimension first, like NumPy: a weight matrix with
 * {@code rows} output features and {@code cols} input features has shape {@code [rows, cols]}.
 * (GGUF stores dimensions innermost first; its reader reverses them.)
 */
public final class Tensor {
    private final String name;
    private final TensorType type;
    private final long[] shape;
    private final MemorySegment data;

    public Tensor(String name, TensorType type, long[] shape, MemorySegment data) {
        this.name = name;
        this.type = type;
        this.shape = shape.clone();
        this.data = data;
        long outer = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            outer *= shape[i];
        }
        long expected = type.matrixBytes(outer, cols());
        if (expected != data.byteSize()) {
            throw new IllegalArgumentException("tensor " + name + ": " + type + " " + Arrays.toString(shape)
                    + " needs " + expected + " bytes, segment has " + data.byteSize());
        }
    }

    /** The tensor's name as the file spells it. */
    public String name() {
        return name;
    }

    public TensorType type() {
        return type;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    public long numElements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Size of the innermost (contiguous) dimension. */
    public long cols() {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    /** Product of all dimensions but the innermost. */
    public long rows() {
        return shape.length == 0 ? 1 : numElements() / cols();
    }

    /** The raw bytes, read-only view of the mapped file. */
    public MemorySegment data() {
        return data;
    }

    public long byteSize() {
        return data.byteSize();
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
