package dev.flashj.cli.inspect;

import dev.flashj.tensor.TensorType;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Totals over a model's tensors.
 *
 * @param tensors  number of tensors
 * @param elements number of weights (parameters)
 * @param bytes    bytes of tensor data
 * @param byType   per tensor type (in {@link TensorType} order): tensor count and bytes
 */
public record TensorTotals(long tensors, long elements, long bytes, Map<String, TypeTotal> byType) {

    /** Tensor count and bytes of one tensor type. */
    public record TypeTotal(long tensors, long bytes) {
    }

    static TensorTotals of(List<TensorSummary> tensorList) {
        Map<TensorType, long[]> perType = new EnumMap<>(TensorType.class);
        long elements = 0;
        long bytes = 0;
        for (TensorSummary t : tensorList) {
            elements += t.elements();
            bytes += t.bytes();
            long[] countAndBytes = perType.computeIfAbsent(TensorType.valueOf(t.type()), k -> new long[2]);
            countAndBytes[0]++;
            countAndBytes[1] += t.bytes();
        }
        Map<String, TypeTotal> byType = new LinkedHashMap<>();
        perType.forEach((type, cb) -> byType.put(type.name(), new TypeTotal(cb[0], cb[1])));
        return new TensorTotals(tensorList.size(), elements, bytes, Collections.unmodifiableMap(byType));
    }
}
