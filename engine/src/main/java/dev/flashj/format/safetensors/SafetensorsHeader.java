package dev.flashj.format.safetensors;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.flashj.FlashjException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed JSON header of a safetensors file: optional {@code __metadata__} strings and one
 * validated {@link SafetensorsEntry} per tensor, in header order.
 */
public record SafetensorsHeader(Map<String, String> metadata, List<SafetensorsEntry> entries) {

    static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    public SafetensorsHeader {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        entries = List.copyOf(entries);
    }

    /**
     * Parses and validates a header.
     *
     * @param file     the file, for messages
     * @param json     the header bytes (UTF-8 JSON, possibly padded with trailing spaces)
     * @param dataSize bytes in the data section that follows the header
     */
    public static SafetensorsHeader parse(Path file, byte[] json, long dataSize) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (Exception e) { // Jackson reports malformed input with several exception types
            throw FlashjException.badFile(file, "header", "not valid JSON: " + firstLine(e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw FlashjException.badFile(file, "header", "must be a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<SafetensorsEntry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                entries.add(readEntry(file, field.getKey(), field.getValue(), dataSize));
            }
        }
        return new SafetensorsHeader(metadata, entries);
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw FlashjException.badFile(file, METADATA_KEY, "must be an object of strings");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw FlashjException.badFile(file, METADATA_KEY + "." + e.getKey(), "must be a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static SafetensorsEntry readEntry(Path file, String name, JsonNode node, long dataSize) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw FlashjException.badFile(file, where, "must be an object with dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw FlashjException.badFile(file, where + ".dtype", dtypeNode == null ? "missing" : "must be a string");
        }
        String dtype = dtypeNode.textValue();
        List<Long> shape = readLongs(file, where + ".shape", node.get("shape"), -1);
        List<Long> offsets = readLongs(file, where + ".data_offsets", node.get("data_offsets"), 2);
        long begin = offsets.get(0);
        long end = offsets.get(1);
        if (begin > end) {
            throw FlashjException.badFile(file, where + ".data_offsets",
                    "begin " + begin + " is after end " + end);
        }
        if (end > dataSize) {
            throw FlashjException.badFile(file, where + ".data_offsets",
                    "end " + end + " is past the data section (" + dataSize + " bytes)");
        }
        long elements = 1;
        for (long d : shape) {
            try {
                elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw FlashjException.badFile(file, where + ".shape", "element count overflows: " + shape);
            }
        }
        var known = SafetensorsDtype.byName(dtype);
        if (known.isPresent()) {
            long expected;
            try {
                expected = Math.multiplyExact(elements, known.get().bytesPerElement());
            } catch (ArithmeticException e) {
                throw FlashjException.badFile(file, where + ".shape", "byte size overflows: " + shape);
            }
            if (expected != end - begin) {
                throw FlashjException.badFile(file, where + ".data_offsets", "range [" + begin + ", " + end
                        + ") holds " + (end - begin) + " bytes but " + dtype + " " + shape + " needs " + expected);
            }
        }
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-negative integers (exactly {@code count} of them unless count is -1). */
    private static List<Long> readLongs(Path file, String field, JsonNode node, int count) {
        if (node == null) {
            throw FlashjException.badFile(file, field, "missing");
        }
        if (!node.isArray()) {
            throw FlashjException.badFile(file, field, "must be an array of integers");
        }
        if (count >= 0 && node.size() != count) {
            throw FlashjException.badFile(file, field, "must have " + count + " entries, has " + node.size());
        }
        List<Long> values = new ArrayList<>(node.size());
        for (JsonNode v : node) {
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw FlashjException.badFile(file, field, "entries must be non-negative integers, found " + v);
            }
            values.add(v.longValue());
        }
        return values;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
