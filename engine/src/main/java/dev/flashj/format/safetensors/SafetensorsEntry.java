package dev.flashj.format.safetensors;

import dev.flashj.tensor.TensorType;

import java.util.List;
import java.util.Optional;

/**
 * One tensor as a safetensors header describes it, already validated against the file: its byte range
 * {@code [begin, end)} lies inside the data section and, for fixed-size dtypes, matches the shape.
 *
 * @param name  the tensor's name in the header
 * @param dtype the dtype string as written (e.g. "F32", "I64", "F4")
 * @param shape dimensions, outermost first
 * @param begin first byte, relative to the start of the data section
 * @param end   one past the last byte, relative to the start of the data section
 */
public record SafetensorsEntry(String name, String dtype, List<Long> shape, long begin, long end) {

    public SafetensorsEntry {
        shape = List.copyOf(shape);
    }

    /** The FlashJ tensor type, empty when FlashJ cannot use this dtype as a weight. */
    public Optional<TensorType> tensorType() {
        return SafetensorsDtype.byName(dtype).flatMap(SafetensorsDtype::tensorType);
    }

    public long[] shapeArray() {
        return shape.stream().mapToLong(Long::longValue).toArray();
    }

    public long byteSize() {
        return end - begin;
    }
}
