package dev.flashj.cli.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.format.gguf.GgufArray;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a model's metadata values into plain display values (strings, numbers, booleans, lists,
 * maps). Arrays longer than {@link #MAX_INLINE_ELEMENTS} (a GGUF vocabulary holds tens of thousands
 * of strings) become a summary string such as "[array of 32000 STRING]".
 */
public final class MetadataValues {

    /** Arrays up to this length are shown element by element. */
    public static final int MAX_INLINE_ELEMENTS = 16;

    private static final ObjectMapper JSON_TREE = new ObjectMapper();

    private MetadataValues() {
    }

    /** Every entry of {@code metadata}, in its order, with display values. */
    public static Map<String, Object> summarise(Map<String, ?> metadata) {
        Map<String, Object> out = new LinkedHashMap<>();
        metadata.forEach((key, value) -> out.put(key, displayValue(value)));
        return out;
    }

    /** One value for display; see the class comment. */
    public static Object displayValue(Object value) {
        return switch (value) {
            case null -> null;
            case String s -> s;
            case Number n -> n;
            case Boolean b -> b;
            case GgufArray a -> ggufArray(a);
            case JsonNode node -> displayValue(JSON_TREE.convertValue(node, Object.class));
            case Map<?, ?> map -> {
                Map<String, Object> out = new LinkedHashMap<>();
                map.forEach((k, v) -> out.put(String.valueOf(k), displayValue(v)));
                yield out;
            }
            case Collection<?> c -> c.size() > MAX_INLINE_ELEMENTS ? arraySummary(c.size(), null) : list(new ArrayList<>(c), null);
            default -> value.getClass().isArray() ? javaArray(value, null) : value.toString();
        };
    }

    private static Object ggufArray(GgufArray array) {
        String elementType = array.elementType().name();
        if (array.values() instanceof GgufArray[]) {
            return arraySummary(array.length(), elementType);
        }
        return javaArray(array.values(), elementType);
    }

    /** Checks the length first, so that a huge vocabulary array is never boxed. */
    private static Object javaArray(Object array, String elementType) {
        int length = Array.getLength(array);
        if (length > MAX_INLINE_ELEMENTS) {
            return arraySummary(length, elementType);
        }
        return list(arrayElements(array), elementType);
    }

    private static Object list(List<?> elements, String elementType) {
        if (elements.size() > MAX_INLINE_ELEMENTS) {
            return arraySummary(elements.size(), elementType);
        }
        List<Object> out = new ArrayList<>(elements.size());
        for (Object e : elements) {
            out.add(displayValue(e));
        }
        return out;
    }

    /** "[array of N TYPE]", or "[array of N]" when the element type is not known. */
    static String arraySummary(int length, String elementType) {
        return "[array of " + length + (elementType == null ? "" : " " + elementType) + "]";
    }

    private static List<Object> arrayElements(Object array) {
        int n = Array.getLength(array);
        List<Object> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(Array.get(array, i));
        }
        return out;
    }
}
