package dev.flashj.cli.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.cli.Json;
import dev.flashj.format.gguf.GgufArray;
import dev.flashj.format.gguf.GgufValueType;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inspect's summary, text and JSON output on a hand-built model (no format reader needed). */
class ModelSummaryTest {

    private static final LlamaConfig CONFIG = new LlamaConfig(24, 72, 2, 3, 1, 8, 40, 128, 1e-6f,
            new RopeConfig(500000f, new RopeScaling.Llama3(8f, 1f, 4f, 8192), RopeStyle.INTERLEAVED, 8), false, true);

    private static final String TEMPLATE = "{% for m in messages %}\n" + "x".repeat(300) + "\n{% endfor %}";

    private static FakeModelFile model() {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("general.architecture", "llama");
        metadata.put("general.file_type", 7L);
        metadata.put("llama.attention.layer_norm_rms_epsilon", 1e-6f);
        String[] tokens = new String[40];
        Arrays.setAll(tokens, i -> "t" + i);
        metadata.put("tokenizer.ggml.tokens", new GgufArray(GgufValueType.STRING, tokens));
        metadata.put("test.short", new GgufArray(GgufValueType.INT32, new long[] {3, -1, 7}));
        metadata.put("test.nested", new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
                new GgufArray(GgufValueType.BOOL, new boolean[] {true})}));
        metadata.put("tokenizer.chat_template", TEMPLATE);
        return new FakeModelFile(CONFIG, metadata)
                .add("token_embd.weight", TensorType.F32, 40, 24)
                .add("blk.0.attn_q.weight", TensorType.Q4_0, 3, 64)
                .add("blk.0.ffn_down.weight", TensorType.Q6_K, 1, 256)
                .add("blk.0.attn_norm.weight", TensorType.F16, 7)
                .add("output_norm.weight", TensorType.F32, 5, 3);
    }

    // Byte sizes from the GGML block layouts: F32 4 B/element, F16 2 B, Q4_0 18 B per 32, Q6_K 210 B per 256.
    private static final long EMBD_BYTES = 40 * 24 * 4;
    private static final long Q4_0_BYTES = 3 * 64 / 32 * 18;
    private static final long Q6_K_BYTES = 210;
    private static final long F16_BYTES = 7 * 2;
    private static final long NORM_BYTES = 5 * 3 * 4;

    @Test
    void totalsAddUpPerType() {
        ModelSummary s;
        try (FakeModelFile m = model()) {
            s = ModelSummary.of(m, true);
        }
        TensorTotals t = s.totals();
        assertEquals(5, t.tensors());
        assertEquals(40 * 24 + 3 * 64 + 256 + 7 + 15, t.elements());
        assertEquals(EMBD_BYTES + Q4_0_BYTES + Q6_K_BYTES + F16_BYTES + NORM_BYTES, t.bytes());
        assertEquals(new TensorTotals.TypeTotal(2, EMBD_BYTES + NORM_BYTES), t.byType().get("F32"));
        assertEquals(new TensorTotals.TypeTotal(1, Q4_0_BYTES), t.byType().get("Q4_0"));
        assertEquals(new TensorTotals.TypeTotal(1, Q6_K_BYTES), t.byType().get("Q6_K"));
        assertEquals(new TensorTotals.TypeTotal(1, F16_BYTES), t.byType().get("F16"));
        assertEquals(4, t.byType().size());
        assertEquals("[F32, F16, Q4_0, Q6_K]", t.byType().keySet().toString(), "TensorType order");
    }

    @Test
    void summaryOutlivesTheModel() {
        FakeModelFile m = model();
        ModelSummary s = ModelSummary.of(m, true);
        m.close();
        assertTrue(m.isClosed());
        assertEquals("blk.0.attn_q.weight", s.tensors().get(1).name());
        assertEquals(Q4_0_BYTES, s.tensors().get(1).bytes());
    }

    @Test
    void jsonHoldsEverySection() throws Exception {
        JsonNode root = json(true);
        assertEquals("/models/fake.gguf", root.get("path").asText());
        assertEquals("GGUF", root.get("format").asText());
        assertEquals("llama", root.get("architecture").asText());

        JsonNode c = root.get("config");
        assertEquals(24, c.get("dim").asInt());
        assertEquals(72, c.get("hiddenDim").asInt());
        assertEquals(2, c.get("numLayers").asInt());
        assertEquals(3, c.get("numHeads").asInt());
        assertEquals(1, c.get("numKvHeads").asInt());
        assertEquals(8, c.get("headDim").asInt());
        assertEquals(24, c.get("qDim").asInt());
        assertEquals(8, c.get("kvDim").asInt());
        assertEquals(40, c.get("vocabSize").asInt());
        assertEquals(128, c.get("contextLength").asInt());
        assertEquals(1e-6f, (float) c.get("rmsNormEps").asDouble());
        assertEquals(500000.0, c.get("rope").get("theta").asDouble());
        assertEquals("INTERLEAVED", c.get("rope").get("style").asText());
        assertEquals(8, c.get("rope").get("rotaryDims").asInt());
        JsonNode scaling = c.get("rope").get("scaling");
        assertEquals("llama3", scaling.get("type").asText());
        assertEquals(8.0, scaling.get("factor").asDouble());
        assertEquals(1.0, scaling.get("lowFreqFactor").asDouble());
        assertEquals(4.0, scaling.get("highFreqFactor").asDouble());
        assertEquals(8192, scaling.get("originalMaxPositions").asInt());
        assertFalse(c.get("tiedEmbeddings").asBoolean());
        assertTrue(c.get("attentionBias").asBoolean());

        JsonNode tok = root.get("tokenizer");
        assertEquals("fake BPE, 40 tokens, BOS 1, EOS 2", tok.get("description").asText());
        assertEquals(40, tok.get("vocabSize").asInt());
        assertEquals(1, tok.get("bosId").asInt());
        assertEquals(2, tok.get("eosId").asInt());
        assertTrue(tok.get("addBos").asBoolean());

        JsonNode md = root.get("metadata");
        assertEquals(7, md.get("general.file_type").asLong());
        assertEquals("[array of 40 STRING]", md.get("tokenizer.ggml.tokens").asText());
        assertEquals("[3,-1,7]", md.get("test.short").toString());
        assertEquals("[array of 1 ARRAY]", md.get("test.nested").asText());
        assertEquals(TEMPLATE, md.get("tokenizer.chat_template").asText(), "JSON keeps strings whole");

        JsonNode tensors = root.get("tensors");
        assertEquals(5, tensors.size());
        JsonNode q = tensors.get(1);
        assertEquals("blk.0.attn_q.weight", q.get("name").asText());
        assertEquals("Q4_0", q.get("type").asText());
        assertEquals("[3,64]", q.get("shape").toString());
        assertEquals(192, q.get("elements").asLong());
        assertEquals(Q4_0_BYTES, q.get("bytes").asLong());
        long sum = 0;
        for (JsonNode t : tensors) {
            sum += t.get("bytes").asLong();
        }
        assertEquals(sum, root.get("totals").get("bytes").asLong());
        assertEquals(5, root.get("totals").get("tensors").asLong());
        assertEquals(2, root.get("totals").get("byType").get("F32").get("tensors").asLong());
    }

    @Test
    void jsonWithoutTensorsKeepsTheTotals() throws Exception {
        JsonNode root = json(false);
        assertNull(root.get("tensors"));
        assertEquals(5, root.get("totals").get("tensors").asLong());
    }

    @Test
    void textShowsEverySection() {
        String text;
        try (FakeModelFile m = model()) {
            text = text(ModelSummary.of(m, true));
        }
        assertLine(text, "format\\s+GGUF");
        assertLine(text, "architecture\\s+llama");
        assertLine(text, "  numKvHeads\\s+1");
        assertLine(text, "  rmsNormEps\\s+1\\.0E-6");
        assertLine(text, "  rope\\.scaling\\.type\\s+llama3");
        assertLine(text, "  rope\\.scaling\\.originalMaxPositions\\s+8192");
        assertLine(text, "  attentionBias\\s+true");
        assertLine(text, "  fake BPE, 40 tokens, BOS 1, EOS 2");
        assertLine(text, "metadata \\(7 keys\\):");
        assertLine(text, "  tokenizer\\.ggml\\.tokens\\s+\\[array of 40 STRING\\]");
        assertLine(text, "  test\\.short\\s+\\[3, -1, 7\\]");
        assertLine(text, "  tokenizer\\.chat_template\\s+\\{% for m in messages %\\}\\\\nx+\\.\\.\\. \\(" + TEMPLATE.length()
                + " chars\\)");
        assertLine(text, "tensors \\(5\\):");
        assertLine(text, "  token_embd\\.weight\\s+F32\\s+\\[40, 24\\]\\s+" + EMBD_BYTES);
        assertLine(text, "  blk\\.0\\.attn_q\\.weight\\s+Q4_0\\s+\\[3, 64\\]\\s+" + Q4_0_BYTES);
        assertLine(text, "  tensors\\s+5");
        assertLine(text, "  Q4_0\\s+1 tensor, " + Q4_0_BYTES + " bytes.*");
        assertLine(text, "  F32\\s+2 tensors, " + (EMBD_BYTES + NORM_BYTES) + " bytes.*");
        assertFalse(text.contains("xxxxx\n{%"), "newlines inside values are escaped");
    }

    @Test
    void textWithoutTensorsHasNoTable() {
        String text;
        try (FakeModelFile m = model()) {
            text = text(ModelSummary.of(m, false));
        }
        assertFalse(text.contains("token_embd.weight"), text);
        assertLine(text, "  tensors\\s+5");
    }

    @Test
    void humanSizes() {
        assertEquals("1023 B", InspectTextWriter.humanBytes(1023));
        assertEquals("1.5 KiB", InspectTextWriter.humanBytes(1536));
        assertEquals("3.0 GiB", InspectTextWriter.humanBytes(3L << 30));
        assertEquals("999", InspectTextWriter.humanCount(999));
        assertEquals("260.1K", InspectTextWriter.humanCount(260_100));
        assertEquals("7.2B", InspectTextWriter.humanCount(7_241_000_000L));
    }

    private static JsonNode json(boolean includeTensors) throws Exception {
        StringWriter sw = new StringWriter();
        try (FakeModelFile m = model()) {
            Json.write(new PrintWriter(sw), ModelSummary.of(m, includeTensors));
        }
        return new ObjectMapper().readTree(sw.toString());
    }

    private static String text(ModelSummary s) {
        StringWriter sw = new StringWriter();
        new InspectTextWriter(new PrintWriter(sw)).write(s);
        return sw.toString();
    }

    private static void assertLine(String text, String regex) {
        Pattern p = Pattern.compile(regex);
        assertTrue(text.lines().anyMatch(l -> p.matcher(l).matches()), "no line matches /" + regex + "/ in\n" + text);
    }
}
