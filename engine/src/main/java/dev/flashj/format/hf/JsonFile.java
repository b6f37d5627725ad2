package dev.flashj.format.hf;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.flashj.FlashjException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Typed access to the fields of one JSON object read from a file, with errors that name the file and
 * the field path ("rope_scaling.factor"). A JSON {@code null} counts as absent.
 */
final class JsonFile {

    /** Config files are small; anything bigger is not a config file. */
    private static final long MAX_BYTES = 64L * 1024 * 1024;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path file;
    private final String prefix;
    private final JsonNode object;

    private JsonFile(Path file, String prefix, JsonNode object) {
        this.file = file;
        this.prefix = prefix;
        this.object = object;
    }

    /** Reads a file whose content must be one JSON object. */
    static JsonFile read(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw FlashjException.badFile(file, "(file)", "over " + MAX_BYTES + " bytes, not a config file");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new FlashjException(file + ": no such file", e);
        } catch (IOException e) {
            throw new FlashjException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (Exception e) { // Jackson reports malformed input with several exception types
            throw FlashjException.badFile(file, "(json)", "not valid JSON: " + firstLine(e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw FlashjException.badFile(file, "(json)", "must be a JSON object");
        }
        return new JsonFile(file, "", root);
    }

    /** Wraps an already parsed object (for tests and nested objects). */
    static JsonFile of(Path file, JsonNode object) {
        if (object == null || !object.isObject()) {
            throw FlashjException.badFile(file, "(json)", "must be a JSON object");
        }
        return new JsonFile(file, "", object);
    }

    Path file() {
        return file;
    }

    JsonNode node() {
        return object;
    }

    /** The full path of a field, for messages. */
    String field(String name) {
        return prefix + name;
    }

    FlashjException error(String name, String reason) {
        return FlashjException.badFile(file, field(name), reason);
    }

    boolean has(String name) {
        JsonNode v = object.get(name);
        return v != null && !v.isNull();
    }

    private JsonNode value(String name) {
        JsonNode v = object.get(name);
        return v == null || v.isNull() ? null : v;
    }

    OptionalInt optionalInt(String name) {
        JsonNode v = value(name);
        if (v == null) {
            return OptionalInt.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw error(name, "must be an integer in the int range, found " + abbreviate(v));
        }
        return OptionalInt.of(v.intValue());
    }

    /** A required integer that must be at least 1. */
    int positiveInt(String name) {
        int value = optionalInt(name).orElseThrow(() -> error(name, "missing"));
        return checkPositive(name, value);
    }

    int checkPositive(String name, int value) {
        if (value < 1) {
            throw error(name, "must be positive, found " + value);
        }
        return value;
    }

    OptionalDouble optionalDouble(String name) {
        JsonNode v = value(name);
        if (v == null) {
            return OptionalDouble.empty();
        }
        if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
            throw error(name, "must be a finite number, found " + abbreviate(v));
        }
        return OptionalDouble.of(v.doubleValue());
    }

    /** A required number that must be finite and greater than zero. */
    double positiveDouble(String name) {
        double value = optionalDouble(name).orElseThrow(() -> error(name, "missing"));
        if (!(value > 0)) {
            throw error(name, "must be positive, found " + value);
        }
        return value;
    }

    Optional<Boolean> optionalBoolean(String name) {
        JsonNode v = value(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isBoolean()) {
            throw error(name, "must be true or false, found " + abbreviate(v));
        }
        return Optional.of(v.booleanValue());
    }

    Optional<String> optionalString(String name) {
        JsonNode v = value(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw error(name, "must be a string, found " + abbreviate(v));
        }
        return Optional.of(v.textValue());
    }

    Optional<JsonFile> optionalObject(String name) {
        JsonNode v = value(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isObject()) {
            throw error(name, "must be an object, found " + abbreviate(v));
        }
        return Optional.of(new JsonFile(file, field(name) + ".", v));
    }

    Optional<JsonNode> optionalArray(String name) {
        JsonNode v = value(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isArray()) {
            throw error(name, "must be an array, found " + abbreviate(v));
        }
        return Optional.of(v);
    }

    /** The whole object as plain Java values (maps, lists, strings, numbers), for display. */
    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : object.properties()) {
            map.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
        }
        return map;
    }

    static String abbreviate(JsonNode v) {
        String s = v.toString();
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
