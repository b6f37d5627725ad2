package dev.flashj.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code --shape} values against an op's {@link ShapeSchema}. A value is a preset name
 * ({@code small}, {@code default}) or comma-separated {@code key=value} pairs overriding the
 * defaults; a value may be a sweep {@code FROM..TO} (doubling from FROM while at most TO) or a
 * list {@code A/B/C}. Several swept keys give their cross product.
 */
public final class ShapeParser {
    /** Sweeps are capped so a typo ({@code n=1..100000000}) does not queue days of work. */
    static final int MAX_SWEEP_POINTS = 64;

    private ShapeParser() {
    }

    /** Every shape {@code text} names for {@code schema}. */
    public static List<Shape> parse(ShapeSchema schema, String text) {
        String trimmed = text.trim();
        if (trimmed.equals("default")) {
            return List.of(schema.defaults());
        }
        Shape preset = schema.presets().get(trimmed);
        if (preset != null) {
            return List.of(preset);
        }
        Map<String, List<Integer>> values = new LinkedHashMap<>();
        for (String part : split(trimmed)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw bad(text, "'" + part + "' is not key=value (or a preset: default"
                        + presetList(schema) + ")");
            }
            String key = part.substring(0, eq).trim();
            if (!schema.has(key)) {
                throw bad(text, "unknown size '" + key + "' (this op takes " + keyList(schema) + ")");
            }
            if (values.containsKey(key)) {
                throw bad(text, "size '" + key + "' is given twice");
            }
            values.put(key, values(text, key, part.substring(eq + 1).trim()));
        }
        List<Shape> shapes = new ArrayList<>(List.of(schema.defaults()));
        for (var entry : values.entrySet()) {
            List<Shape> next = new ArrayList<>();
            for (Shape s : shapes) {
                for (int v : entry.getValue()) {
                    next.add(s.with(entry.getKey(), v));
                }
            }
            shapes = next;
            if (shapes.size() > MAX_SWEEP_POINTS) {
                throw bad(text, "names " + shapes.size() + "+ shapes; at most " + MAX_SWEEP_POINTS + " per --shape");
            }
        }
        return shapes;
    }

    /** Exactly one shape (presets are written this way). */
    static Shape parseOne(ShapeSchema schema, String text, String what) {
        List<Shape> shapes = parse(schema, text);
        if (shapes.size() != 1) {
            throw new IllegalArgumentException(what + ": '" + text + "' is not a single shape");
        }
        return shapes.getFirst();
    }

    private static List<String> split(String text) {
        List<String> parts = new ArrayList<>();
        for (String p : text.split(",", -1)) {
            parts.add(p.trim());
        }
        return parts;
    }

    private static List<Integer> values(String text, String key, String value) {
        List<Integer> out = new ArrayList<>();
        int range = value.indexOf("..");
        if (range >= 0) {
            int from = positive(text, key, value.substring(0, range));
            int to = positive(text, key, value.substring(range + 2));
            if (to < from) {
                throw bad(text, key + "=" + value + ": the sweep ends below its start");
            }
            for (long v = from; v <= to; v *= 2) {
                out.add((int) v);
                if (out.size() > MAX_SWEEP_POINTS) {
                    throw bad(text, key + "=" + value + ": more than " + MAX_SWEEP_POINTS + " points");
                }
            }
            return out;
        }
        for (String v : value.split("/", -1)) {
            out.add(positive(text, key, v));
        }
        return out;
    }

    private static int positive(String text, String key, String value) {
        try {
            int v = Integer.parseInt(value.trim());
            if (v <= 0) {
                throw bad(text, key + "=" + value + ": sizes must be positive");
            }
            return v;
        } catch (NumberFormatException e) {
            throw bad(text, key + "=" + value + ": not a whole number");
        }
    }

    private static String keyList(ShapeSchema schema) {
        return String.join(", ", schema.keys().stream().map(ShapeSchema.Key::name).toList());
    }

    private static String presetList(ShapeSchema schema) {
        return schema.presets().isEmpty() ? "" : ", " + String.join(", ", schema.presets().keySet());
    }

    private static BenchUsageException bad(String text, String reason) {
        return new BenchUsageException("--shape", "'" + text + "': " + reason);
    }
}
