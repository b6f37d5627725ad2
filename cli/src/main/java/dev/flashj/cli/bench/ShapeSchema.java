package dev.flashj.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sizes an op takes: each key with its meaning and default, plus named presets
 * ({@code small} for tests and smoke runs). {@link ShapeParser} reads {@code --shape} against it.
 */
public final class ShapeSchema {

    /** One size: its key on the command line, what it is, its default. */
    public record Key(String name, String meaning, int defaultValue) {
    }

    private final List<Key> keys = new ArrayList<>();
    private final Map<String, Shape> presets = new LinkedHashMap<>();

    public ShapeSchema key(String name, String meaning, int defaultValue) {
        keys.add(new Key(name, meaning, defaultValue));
        return this;
    }

    /** A named preset given as overrides of the defaults, e.g. {@code preset("small", "n=64,d=32")}. */
    public ShapeSchema preset(String name, String overrides) {
        presets.put(name, ShapeParser.parseOne(this, overrides, "preset " + name));
        return this;
    }

    public List<Key> keys() {
        return List.copyOf(keys);
    }

    public boolean has(String key) {
        return keys.stream().anyMatch(k -> k.name().equals(key));
    }

    /** Every key at its default. */
    public Shape defaults() {
        Map<String, Integer> m = new LinkedHashMap<>();
        keys.forEach(k -> m.put(k.name(), k.defaultValue()));
        return new Shape(m);
    }

    public Map<String, Shape> presets() {
        return Map.copyOf(presets);
    }

    /** The keys as documented in help: {@code b=1,h=32,...}. */
    public String describeDefaults() {
        return defaults().toString();
    }
}
