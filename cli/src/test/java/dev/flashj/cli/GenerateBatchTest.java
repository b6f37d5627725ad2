package dev.flashj.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code flashj generate --prompts FILE}: a batch whose results equal one run per prompt. */
class GenerateBatchTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PROMPTS = List.of("Once upon a time", "Lily and Tom", "The cat sat on the big");

    @TempDir
    Path dir;

    @Test
    void everyPromptGetsWhatItGetsAlone() throws IOException {
        String model = TestData.require("stories260K.gguf").toString();
        Path file = Files.writeString(dir.resolve("prompts.txt"), String.join("\n\n", PROMPTS) + "\n");
        CliRun batch = CliRun.flashj("generate", "-m", model, "--prompts", file.toString(), "--temperature", "0",
                "-n", "30", "--threads", "2", "--json", "--kv-pool-tokens", "48");
        assertEquals(0, batch.exitCode(), batch::toString);
        List<String> lines = batch.out().lines().toList();
        assertEquals(PROMPTS.size(), lines.size(), batch::toString);
        for (int i = 0; i < PROMPTS.size(); i++) {
            JsonNode doc = JSON.readTree(lines.get(i));
            assertEquals(i + 1, doc.get("index").asInt());
            assertEquals(PROMPTS.get(i), doc.get("prompt").asText());
            CliRun alone = CliRun.flashj("generate", "-m", model, "-p", PROMPTS.get(i), "--temperature", "0",
                    "-n", "30", "--threads", "2", "--json");
            JsonNode expected = JSON.readTree(alone.out());
            assertEquals(expected.get("tokens"), doc.get("tokens"), "prompt " + (i + 1));
            assertEquals(expected.get("text"), doc.get("text"), "prompt " + (i + 1));
        }
        assertTrue(batch.err().contains("batch: 3 prompts"), batch::toString);
        assertTrue(batch.err().contains("preempted"), "the 48-token pool forces a preemption: " + batch);
    }

    @Test
    void plainOutputNumbersEachResult() throws IOException {
        String model = TestData.require("stories260K.gguf").toString();
        Path file = Files.writeString(dir.resolve("p.txt"), "Once upon a time\nLily\n");
        CliRun r = CliRun.flashj("generate", "-m", model, "--prompts", file.toString(), "--temperature", "0", "-n", "8",
                "--threads", "1");
        assertEquals(0, r.exitCode(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r::toString);
        assertTrue(lines.get(0).startsWith("[1] ") && lines.get(1).startsWith("[2] "), r::toString);
    }

    @Test
    void badBatchOptionsAreUsageErrors() throws IOException {
        String model = TestData.require("stories260K.gguf").toString();
        Path missing = dir.resolve("missing.txt");
        CliRun r = CliRun.flashj("generate", "-m", model, "--prompts", missing.toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--prompts") && r.err().contains("missing.txt"), r::toString);

        Path blank = Files.writeString(dir.resolve("blank.txt"), "\n  \n");
        r = CliRun.flashj("generate", "-m", model, "--prompts", blank.toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("no prompt"), r::toString);

        Path file = Files.writeString(dir.resolve("ok.txt"), "Lily\n");
        r = CliRun.flashj("generate", "-m", model, "--prompts", file.toString(), "-p", "Lily");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("exactly one of"), r::toString);

        r = CliRun.flashj("generate", "-m", model, "--prompts", file.toString(), "--kv-policy", "window",
                "--kv-budget", "8");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--prompts"), r::toString);

        r = CliRun.flashj("generate", "-m", model, "-p", "Lily", "--batch", "4");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--batch"), r::toString);
    }
}
