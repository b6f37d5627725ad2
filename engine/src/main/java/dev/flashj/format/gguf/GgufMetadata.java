package dev.flashj.format.gguf;

import dev.flashj.FlashjException;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order. Scalar values are stored as: {@code Long}
 * for every integer type, {@code Float} for FLOAT32, {@code Double} for FLOAT64, {@code Boolean},
 * {@code String}, and {@link GgufArray} for arrays. Typed getters throw a {@link FlashjException}
 * naming the file and key when a value is missing or of the wrong type.
 */
public final class GgufMetadata {
    private final Path file;
    private final Map<String, Object> values;
    private final Map<String, GgufValueType> types;

    public GgufMetadata(Path file, Map<String, Object> values, Map<String, GgufValueType> types) {
        this.file = file;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.types = Collections.unmodifiableMap(new LinkedHashMap<>(types));
    }

    public Path file() {
        return file;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** All values, in file order (see the class comment for their Java types). */
    public Map<String, Object> asMap() {
        return values;
    }

    public Optional<GgufValueType> type(String key) {
        return Optional.ofNullable(types.get(key));
    }

    public Optional<Object> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public String getString(String key) {
        return require(key, String.class, "a string");
    }

    public Optional<String> findString(String key) {
        return has(key) ? Optional.of(getString(key)) : Optional.empty();
    }

    public long getLong(String key) {
        return require(key, Long.class, "an integer");
    }

    public Optional<Long> findLong(String key) {
        return has(key) ? Optional.of(getLong(key)) : Optional.empty();
    }

    /** An integer value that must fit in a non-negative int. */
    public int getInt(String key) {
        long v = getLong(key);
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw FlashjException.badFile(file, key, "value " + v + " is out of range");
        }
        return (int) v;
    }

    public Optional<Integer> findInt(String key) {
        return has(key) ? Optional.of(getInt(key)) : Optional.empty();
    }

    /** A number of any type, as a float (GGUF writers differ in which float width they use). */
    public float getFloat(String key) {
        Object v = values.get(key);
        if (v == null) {
            throw FlashjException.badFile(file, key, "missing");
        }
        if (v instanceof Number n) {
            return n.floatValue();
        }
        throw FlashjException.badFile(file, key, "expected a number, found " + describe(key));
    }

    public Optional<Float> findFloat(String key) {
        return has(key) ? Optional.of(getFloat(key)) : Optional.empty();
    }

    public boolean getBool(String key) {
        return require(key, Boolean.class, "a boolean");
    }

    public Optional<Boolean> findBool(String key) {
        return has(key) ? Optional.of(getBool(key)) : Optional.empty();
    }

    public GgufArray getArray(String key) {
        return require(key, GgufArray.class, "an array");
    }

    public String[] getStringArray(String key) {
        return arrayOf(key, String[].class, "strings");
    }

    public float[] getFloatArray(String key) {
        GgufArray a = getArray(key);
        if (a.values() instanceof float[] f) {
            return f;
        }
        if (a.values() instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }
        throw FlashjException.badFile(file, key, "expected an array of floats, found an array of " + a.elementType());
    }

    /** An integer array, as stored (every integer width widens to long). */
    public long[] getIntegerArray(String key) {
        return arrayOf(key, long[].class, "integers");
    }

    private <T> T arrayOf(String key, Class<T> storage, String what) {
        GgufArray a = getArray(key);
        if (storage.isInstance(a.values())) {
            return storage.cast(a.values());
        }
        throw FlashjException.badFile(file, key, "expected an array of " + what + ", found an array of " + a.elementType());
    }

    private <T> T require(String key, Class<T> type, String what) {
        Object v = values.get(key);
        if (v == null) {
            throw FlashjException.badFile(file, key, "missing");
        }
        if (!type.isInstance(v)) {
            throw FlashjException.badFile(file, key, "expected " + what + ", found " + describe(key));
        }
        return type.cast(v);
    }

    private String describe(String key) {
        return String.valueOf(types.get(key));
    }
}
