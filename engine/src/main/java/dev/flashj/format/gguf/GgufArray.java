package dev.flashj.format.gguf;

/**
 * A GGUF metadata array. {@code values} holds, by element type: {@code long[]} for every integer
 * type (UINT64 values above 2^63-1 keep their bit pattern), {@code float[]} for FLOAT32,
 * {@code double[]} for FLOAT64, {@code boolean[]} for BOOL, {@code String[]} for STRING and
 * {@code GgufArray[]} for nested arrays.
 */
public record GgufArray(GgufValueType elementType, Object values) {

    public int length() {
        return switch (values) {
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case String[] a -> a.length;
            case GgufArray[] a -> a.length;
            default -> throw new IllegalStateException("unexpected array storage " + values.getClass());
        };
    }
}
