package dev.flashj.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.cli.CliRun;
import dev.flashj.synthetic.SyntheticShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code flashj bench generate} on a small synthetic model: figures, JSON, and option errors. */
class BenchGenerateCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path cache;

    /**
     * A quick run: 8 prompt and 4 decode tokens, one timed run, 2 threads, an 8 MiB read-bandwidth buffer
     * (cache-sized: the figure is not the point here), unless {@code extra} says otherwise.
     */
    private static CliRun smallBench(String... extra) {
        List<String> given = List.of(extra);
        List<String> args = new java.util.ArrayList<>(List.of("bench", "generate", "--cache-dir", cache.toString()));
        List<List<String>> defaults = List.of(List.of("--prompt-tokens", "8"), List.of("-n", "4"), List.of("--runs", "1"),
                List.of("--threads", "2"), List.of("--read-buffer-mib", "8"));
        for (List<String> option : defaults) {
            if (!given.contains(option.getFirst())) {
                args.addAll(option);
            }
        }
        args.addAll(given);
        return CliRun.flashj(args.toArray(String[]::new));
    }

    @Test
    void jsonReportsSpeedsAndBandwidthOfASyntheticModel() throws IOException {
        CliRun r = smallBench("--shape", "stories260k", "--type", "q8_0", "--layers", "2", "--json");
        assertEquals(0, r.exitCode(), r::toString);
        JsonNode doc = JSON.readTree(r.out());
        assertEquals("stories260k", doc.get("shape").asText());
        assertEquals("q8_0", doc.get("type").asText());
        assertEquals(2, doc.get("layers").asInt());
        assertEquals(8, doc.get("prompt_tokens").asInt());
        assertEquals(4, doc.get("decode_tokens").asInt());
        assertTrue(doc.get("device").asText().startsWith("cpu"), r::toString);
        for (String key : List.of("prefill_tokens_per_second", "decode_tokens_per_second", "weight_read_gb_per_second",
                "memory_read_gb_per_second", "percent_of_read_bandwidth", "weight_bytes_per_token",
                "prefill_tokens_per_cpu_second", "decode_tokens_per_cpu_second")) {
            assertTrue(doc.get(key).isNumber() && doc.get(key).asDouble() > 0, key + " in " + r.out());
        }
        // Per token: both norms and matrices of 2 layers, the output matrix, and one embedding row.
        assertTrue(doc.get("weight_bytes_per_token").asLong() < doc.get("weight_bytes").asLong(), r::toString);
        assertEquals(1, doc.get("per_run").size());
        assertTrue(doc.get("load_average").isNumber(), r::toString);
        assertTrue(Files.isRegularFile(Path.of(doc.get("model").asText())), r::toString);
        assertTrue(Path.of(doc.get("model").asText()).startsWith(cache), r::toString);
    }

    @Test
    void weightsReadFromTheFileMappingWhenAsked() throws IOException {
        CliRun r = smallBench("--shape", "stories260k", "--type", "q4_0", "--layers", "1", "--weight-memory", "file", "--json");
        assertEquals(0, r.exitCode(), r::toString);
        JsonNode doc = JSON.readTree(r.out());
        assertEquals("file", doc.get("weight_memory").asText(), r::toString);
        assertTrue(doc.get("decode_tokens_per_second").asDouble() > 0, r::toString);
    }

    @Test
    void textModeSaysWhatRanAndTheShareOfBandwidth() {
        CliRun r = smallBench("--shape", "stories260k", "--type", "f16", "--layers", "1");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("synthetic stories260k"), r::toString);
        assertTrue(r.out().contains("prefill: 8 tokens"), r::toString);
        assertTrue(r.out().contains("decode:  4 tokens"), r::toString);
        assertTrue(r.out().matches("(?s).*memory-read bandwidth.*decode reaches \\d+%.*"), r::toString);
    }

    @Test
    void aModelFileIsBenchmarkedAsItIs() throws IOException {
        CliRun first = smallBench("--shape", "stories260k", "--type", "q4_0", "--layers", "1", "--json");
        assertEquals(0, first.exitCode(), first::toString);
        String path = JSON.readTree(first.out()).get("model").asText();
        CliRun r = smallBench("-m", path, "--json");
        assertEquals(0, r.exitCode(), r::toString);
        JsonNode doc = JSON.readTree(r.out());
        assertEquals(path, doc.get("model").asText());
        assertFalse(doc.has("shape"), r::toString);
        assertTrue(doc.get("decode_tokens_per_second").asDouble() > 0, r::toString);
    }

    @Test
    void unknownShapeIsAUsageErrorListingTheShapes() {
        CliRun r = smallBench("--shape", "llama-70b");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--shape") && r.err().contains("'llama-70b'"), r::toString);
        for (String name : SyntheticShape.names()) {
            assertTrue(r.err().contains(name), name + " missing in " + r);
        }
    }

    @Test
    void badOptionsAreUsageErrorsNamingTheOption() {
        for (List<String> args : List.of(List.of("--type", "q6_k"), List.of("--layers", "0"), List.of("--runs", "0"),
                List.of("--prompt-tokens", "-3"), List.of("--device", "auto"), List.of("--threads", "0"),
                List.of("--weight-memory", "swap"))) {
            CliRun r = smallBench(args.toArray(String[]::new));
            assertEquals(2, r.exitCode(), r::toString);
            assertTrue(r.err().contains("Invalid value for option '" + args.getFirst() + "'"), r::toString);
        }
    }

    @Test
    void aModelFileCannotBeReshaped() {
        CliRun r = smallBench("-m", cache.resolve("any.gguf").toString(), "--type", "q8_0");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--model") && r.err().contains("--type"), r::toString);
    }

    @Test
    void tokensBeyondTheContextAreAUsageError() {
        // stories260k has a 512-token context.
        CliRun r = smallBench("--shape", "stories260k", "--layers", "1", "--type", "f32", "--prompt-tokens", "600");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--prompt-tokens") && r.err().contains("512"), r::toString);
    }

    @Test
    void aMissingModelFileIsAFailure() {
        CliRun r = smallBench("-m", cache.resolve("missing.gguf").toString());
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("missing.gguf"), r::toString);
    }

    @Test
    void benchListsGenerateAsASubcommand() {
        CliRun r = CliRun.flashj("bench", "--help");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("generate"), r::toString);
    }
}
