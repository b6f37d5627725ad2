package dev.flashj.cli.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The sizes of one benchmark case, by name ({@code b=1,h=32,kvh=8,n=4096,d=128}), in the order
 * the op declares them.
 *
 * @param sizes name to value, insertion-ordered
 */
public record Shape(Map<String, Integer> sizes) {

    public Shape {
        sizes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sizes));
    }

    /** The value of {@code key} (the op's schema guarantees every key it declares is present). */
    public int get(String key) {
        Integer v = sizes.get(key);
        if (v == null) {
            throw new IllegalArgumentException("shape " + this + " has no '" + key + "'");
        }
        return v;
    }

    /** The same shape with {@code key} set to {@code value}. */
    public Shape with(String key, int value) {
        Map<String, Integer> copy = new LinkedHashMap<>(sizes);
        copy.put(key, value);
        return new Shape(copy);
    }

    /** The command-line form, {@code b=1,h=32}. */
    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(",");
        sizes.forEach((k, v) -> j.add(k + "=" + v));
        return j.toString();
    }
}
