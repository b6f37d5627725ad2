package dev.flashj.cli.inspect;

import dev.flashj.tensor.Tensor;

/**
 * One tensor as {@code flashj inspect} shows it.
 *
 * @param name  the name the file uses
 * @param type  the {@link dev.flashj.tensor.TensorType} name
 * @param shape outermost dimension first
 * @param elements number of elements
 * @param bytes size in the file
 */
public record TensorSummary(String name, String type, long[] shape, long elements, long bytes) {

    static TensorSummary of(Tensor t) {
        return new TensorSummary(t.name(), t.type().name(), t.shape(), t.numElements(), t.byteSize());
    }
}
