package dev.flashj.cli.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.TestData;
import dev.flashj.cli.CliRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code flashj inspect} on the real test models. Needs the format readers and tokenizers
 * (run with the whole engine; excluded with -DexcludedGroups=needs-formats while they are missing).
 */
@Tag("needs-formats")
class InspectRealFilesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void ggufF32() throws Exception {
        Path gguf = TestData.require("stories260K.gguf");
        JsonNode root = inspectJson(gguf.toString());
        assertEquals("GGUF", root.get("format").asText());
        assertEquals("llama", root.get("architecture").asText());
        assertStories260KConfig(root.get("config"), 2048);
        assertEquals("INTERLEAVED", root.get("config").get("rope").get("style").asText());
        assertEquals(512, root.get("tokenizer").get("vocabSize").asInt());
        assertEquals(1, root.get("tokenizer").get("bosId").asInt());
        assertEquals(2, root.get("tokenizer").get("eosId").asInt());
        assertEquals("llama", root.get("metadata").get("general.architecture").asText());
        assertEquals("[array of 512 STRING]", root.get("metadata").get("tokenizer.ggml.tokens").asText());
        assertEquals(48, root.get("tensors").size());
        assertEquals(Set.of("F32"), types(root));
        assertTotalsMatchTensors(root);
        for (JsonNode t : root.get("tensors")) {
            assertEquals(4 * t.get("elements").asLong(), t.get("bytes").asLong(), t.toString());
        }

        CliRun text = inspect(gguf.toString());
        assertLine(text.out(), "format\\s+GGUF");
        assertLine(text.out(), "  dim\\s+64");
        assertLine(text.out(), "  tokenizer\\.ggml\\.tokens\\s+\\[array of 512 STRING\\]");
        assertLine(text.out(), "  token_embd\\.weight\\s+F32\\s+\\[512, 64\\]\\s+131072");
        assertLine(text.out(), "  tensors\\s+48");
    }

    @Test
    void ggufQuantizedMix() throws Exception {
        JsonNode root = inspectJson(TestData.require("derived/stories260K-Q4_0mix.gguf").toString());
        assertStories260KConfig(root.get("config"), 2048);
        assertEquals(Set.of("F32", "F16", "Q4_0", "Q5_0", "Q8_0"), types(root));
        assertEquals("Q5_0", tensor(root, "token_embd.weight").get("type").asText());
        assertEquals("Q8_0", tensor(root, "output.weight").get("type").asText());
        assertEquals("F16", tensor(root, "blk.0.ffn_down.weight").get("type").asText());
        JsonNode q = tensor(root, "blk.0.attn_q.weight");
        assertEquals("Q4_0", q.get("type").asText());
        assertEquals("[64,64]", q.get("shape").toString());
        assertEquals(64 * 64 / 32 * 18, q.get("bytes").asLong(), "Q4_0: 18 bytes per 32 weights");
        assertEquals(30, root.get("totals").get("byType").get("Q4_0").get("tensors").asLong());
        assertTotalsMatchTensors(root);
    }

    @Test
    void huggingFaceDirectory() throws Exception {
        Path hf = TestData.require("hf-tiny-llama2-spm");
        JsonNode root = inspectJson(hf.toString());
        assertEquals("HUGGING_FACE", root.get("format").asText());
        JsonNode c = root.get("config");
        assertEquals(128, c.get("dim").asInt());
        assertEquals(384, c.get("hiddenDim").asInt());
        assertEquals(4, c.get("numLayers").asInt());
        assertEquals(4, c.get("numHeads").asInt());
        assertEquals(4, c.get("numKvHeads").asInt());
        assertEquals(32, c.get("headDim").asInt());
        assertEquals(1024, c.get("vocabSize").asInt());
        assertEquals(512, c.get("contextLength").asInt());
        assertEquals(1e-5f, (float) c.get("rmsNormEps").asDouble());
        assertEquals(10000.0, c.get("rope").get("theta").asDouble());
        assertEquals("HALF", c.get("rope").get("style").asText());
        assertFalse(c.get("tiedEmbeddings").asBoolean());
        assertEquals(1024, root.get("tokenizer").get("vocabSize").asInt());
        assertEquals(39, root.get("tensors").size(), "embed + 4 x 9 per layer + norm + lm_head");
        assertEquals(Set.of("F32"), types(root));
        assertTotalsMatchTensors(root);
        assertLine(inspect(hf.toString()).out(), "format\\s+HUGGING_FACE");
    }

    @Test
    void llama2cWithTokenizer() throws Exception {
        String bin = TestData.require("stories260K.bin").toString();
        String tok = TestData.require("tok512.bin").toString();
        JsonNode root = inspectJson(bin, "--tokenizer", tok);
        assertEquals("LLAMA2C", root.get("format").asText());
        assertStories260KConfig(root.get("config"), 512);
        assertTrue(root.get("config").get("tiedEmbeddings").asBoolean(), "stories260K.bin shares its classifier");
        assertEquals(512, root.get("tokenizer").get("vocabSize").asInt());
        assertEquals(Set.of("F32"), types(root));
        assertTotalsMatchTensors(root);

        CliRun text = inspect(bin, "--tokenizer", tok, "--no-tensors");
        assertLine(text.out(), "format\\s+LLAMA2C");
        assertFalse(text.out().contains("tensors ("), text::toString);
    }

    @Test
    void noTensorsInJson() throws Exception {
        JsonNode root = inspectJson(TestData.require("stories260K.gguf").toString(), "--no-tensors");
        assertFalse(root.has("tensors"));
        assertEquals(48, root.get("totals").get("tensors").asLong());
    }

    @Test
    void corruptGgufHeaderFailsCleanly() throws Exception {
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.put("GGUF".getBytes()).putInt(3).putLong(Long.MAX_VALUE).putLong(1);
        Path bad = Files.write(dir.resolve("corrupt.gguf"), header.array());
        assertCleanFailure(inspect(bad.toString()), bad);
    }

    @Test
    void truncatedGgufFailsCleanly() throws Exception {
        byte[] full = Files.readAllBytes(TestData.require("stories260K.gguf"));
        for (int length : new int[] {7, 100, 5000, full.length / 2, full.length - 1}) {
            Path cut = Files.write(dir.resolve("cut" + length + ".gguf"), Arrays.copyOf(full, length));
            assertCleanFailure(inspect(cut.toString()), cut);
        }
    }

    @Test
    void truncatedLlama2cFailsCleanly() throws Exception {
        byte[] full = Files.readAllBytes(TestData.require("stories260K.bin"));
        Path cut = Files.write(dir.resolve("cut.bin"), Arrays.copyOf(full, full.length / 3));
        assertCleanFailure(inspect(cut.toString(), "--tokenizer", TestData.require("tok512.bin").toString()), cut);
    }

    /** Exit 1 with a FlashjException naming the file: one line, no stack trace (which would mean a bug). */
    private static void assertCleanFailure(CliRun r, Path file) {
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().startsWith("flashj: "), r::toString);
        assertTrue(r.err().contains(file.toString()), r::toString);
        assertFalse(r.err().contains("internal error"), r::toString);
    }

    private static void assertStories260KConfig(JsonNode c, int contextLength) {
        assertEquals(64, c.get("dim").asInt());
        assertEquals(172, c.get("hiddenDim").asInt());
        assertEquals(5, c.get("numLayers").asInt());
        assertEquals(8, c.get("numHeads").asInt());
        assertEquals(4, c.get("numKvHeads").asInt());
        assertEquals(8, c.get("headDim").asInt());
        assertEquals(32, c.get("kvDim").asInt());
        assertEquals(512, c.get("vocabSize").asInt());
        assertEquals(contextLength, c.get("contextLength").asInt());
    }

    private static void assertTotalsMatchTensors(JsonNode root) {
        long bytes = 0;
        long elements = 0;
        for (JsonNode t : root.get("tensors")) {
            bytes += t.get("bytes").asLong();
            elements += t.get("elements").asLong();
        }
        JsonNode totals = root.get("totals");
        assertEquals(root.get("tensors").size(), totals.get("tensors").asLong());
        assertEquals(bytes, totals.get("bytes").asLong());
        assertEquals(elements, totals.get("elements").asLong());
        long byTypeBytes = 0;
        for (JsonNode tt : totals.get("byType")) {
            byTypeBytes += tt.get("bytes").asLong();
        }
        assertEquals(bytes, byTypeBytes);
    }

    private static Set<String> types(JsonNode root) {
        Set<String> types = new HashSet<>();
        root.get("tensors").forEach(t -> types.add(t.get("type").asText()));
        return types;
    }

    private static JsonNode tensor(JsonNode root, String name) {
        for (JsonNode t : root.get("tensors")) {
            if (t.get("name").asText().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no tensor " + name);
    }

    private static CliRun inspect(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "inspect";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliRun.flashj(all);
    }

    private static JsonNode inspectJson(String... args) throws Exception {
        String[] withJson = Arrays.copyOf(args, args.length + 1);
        withJson[args.length] = "--json";
        CliRun r = inspect(withJson);
        assertEquals(0, r.exitCode(), r::toString);
        return JSON.readTree(r.out());
    }

    private static void assertLine(String text, String regex) {
        Pattern p = Pattern.compile(regex);
        assertTrue(text.lines().anyMatch(l -> p.matcher(l).matches()), "no line matches /" + regex + "/ in\n" + text);
    }
}
