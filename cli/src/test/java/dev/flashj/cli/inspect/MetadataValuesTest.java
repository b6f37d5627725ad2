package dev.flashj.cli.inspect;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.format.gguf.GgufArray;
import dev.flashj.format.gguf.GgufValueType;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MetadataValuesTest {

    @Test
    void ggufArraysUpToTheLimitAreListedLongerOnesSummarised() {
        int max = MetadataValues.MAX_INLINE_ELEMENTS;
        float[] inline = new float[max];
        Arrays.fill(inline, 0.5f);
        assertEquals(java.util.Collections.nCopies(max, 0.5f),
                MetadataValues.displayValue(new GgufArray(GgufValueType.FLOAT32, inline)));
        assertEquals("[array of " + (max + 1) + " FLOAT32]",
                MetadataValues.displayValue(new GgufArray(GgufValueType.FLOAT32, new float[max + 1])));
        assertEquals("[array of 151936 STRING]",
                MetadataValues.displayValue(new GgufArray(GgufValueType.STRING, new String[151936])));
        assertEquals(List.of(true, false),
                MetadataValues.displayValue(new GgufArray(GgufValueType.BOOL, new boolean[] {true, false})));
        assertEquals(List.of(1.5),
                MetadataValues.displayValue(new GgufArray(GgufValueType.FLOAT64, new double[] {1.5})));
    }

    @Test
    void plainJavaValuesAndConfigJsonTrees() throws Exception {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("n", 3);
        in.put("ints", new int[] {1, 2});
        in.put("long list", java.util.Collections.nCopies(100, "a"));
        in.put("null", null);
        in.put("path", Path.of("/x/y"));
        in.put("json", new ObjectMapper().readTree("{\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0},"
                + " \"architectures\": [\"LlamaForCausalLM\"], \"eos\": [1, 2, null]}"));
        Map<String, Object> out = MetadataValues.summarise(in);
        assertEquals(3, out.get("n"));
        assertEquals(List.of(1, 2), out.get("ints"));
        assertEquals("[array of 100]", out.get("long list"));
        assertEquals(null, out.get("null"));
        assertEquals(true, out.containsKey("null"));
        assertEquals("/x/y", out.get("path"));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("rope_scaling", Map.of("type", "linear", "factor", 2.0));
        json.put("architectures", List.of("LlamaForCausalLM"));
        json.put("eos", Arrays.asList(1, 2, null));
        assertEquals(json, out.get("json"));
    }

    @Test
    void oneLineEscapesAndCuts() {
        assertEquals("a\\nb\\tc\\u0001", InspectTextWriter.oneLine("a\nb\tc\u0001"));
        String longText = "y".repeat(InspectTextWriter.MAX_STRING_CHARS + 5);
        assertEquals("y".repeat(InspectTextWriter.MAX_STRING_CHARS) + "... (" + longText.length() + " chars)",
                InspectTextWriter.oneLine(longText));
    }
}
