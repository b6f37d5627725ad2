package dev.flashj.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static dev.flashj.cli.GenerateOptionsTest.generate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code flashj generate} end to end on stories260K, against llama2.c's and llama.cpp's outputs. */
class GenerateCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode llama2cCase(String name) throws IOException {
        for (JsonNode c : JSON.readTree(TestData.require("expected/llama2c-stories260K.json").toFile()).get("cases")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no case " + name);
    }

    private static List<Integer> ints(JsonNode array, int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(array.get(i).asInt());
        }
        return out;
    }

    @Test
    void greedyJsonGivesLlama2cFirstIds() throws IOException {
        String model = TestData.require("stories260K.gguf").toString();
        CliRun r = generate("-m", model, "-p", "", "--temperature", "0", "-n", "32", "--json");
        assertEquals(0, r.exitCode(), r::toString);
        JsonNode doc = JSON.readTree(r.out());
        JsonNode expected = llama2cCase("greedy_bos_200").get("token_ids");
        assertEquals(List.of(1), ints(doc.get("prompt_tokens"), 0, doc.get("prompt_tokens").size()));
        assertEquals(ints(expected, 1, 33), ints(doc.get("tokens"), 0, doc.get("tokens").size()));
        assertEquals("length", doc.get("finish_reason").asText());
        assertTrue(doc.get("text").asText().startsWith("Once upon a time, there was"), r::toString);
        for (String key : List.of("prompt_tokens_per_second", "decode_tokens_per_second", "prompt_ms", "decode_ms")) {
            assertTrue(doc.get("timings").get(key).isNumber(), key);
        }
        assertTrue(r.err().contains("device: cpu"), r::toString);
    }

    @Test
    void textModeStreamsOnlyTheContinuation() throws IOException {
        String model = TestData.require("stories260K.gguf").toString();
        CliRun r = generate("-m", model, "-p", "Once upon a time", "--temperature", "0", "-n", "20");
        assertEquals(0, r.exitCode(), r::toString);
        String expected = JSON.readTree(TestData.require(
                "expected/llamacpp/stories260K-F32.once-upon-a-time-greedy64.json").toFile()).get("generated_text").asText();
        assertTrue(r.out().endsWith("\n"), r::toString);
        String text = r.out().substring(0, r.out().length() - 1);
        assertTrue(text.startsWith(", there was a little girl named Lily."), r::toString);
        assertTrue(expected.startsWith(text), r::toString);
        assertTrue(r.err().contains("tokens/s"), r::toString);
        assertTrue(r.err().contains("finish: length"), r::toString);
        assertTrue(r.err().contains("stories260K.gguf"), r::toString);
    }

    @Test
    void stopStringEndsTheTextBeforeIt() throws IOException {
        String model = TestData.require("stories260K.gguf").toString();
        CliRun r = generate("-m", model, "-p", "Once upon a time", "--temperature", "0", "-n", "64",
                "--stop", "Lily", "--json");
        assertEquals(0, r.exitCode(), r::toString);
        JsonNode doc = JSON.readTree(r.out());
        assertEquals(", there was a little girl named ", doc.get("text").asText());
        assertEquals("stop_string", doc.get("finish_reason").asText());
    }

    @Test
    void seededSamplingIsReproducibleAndMatchesLlama2c() throws IOException {
        String model = TestData.require("stories260K.gguf").toString();
        String[] args = {"-m", model, "-p", "", "--temperature", "1", "--top-k", "0", "--top-p", "1", "--min-p", "0",
                "--seed", "42", "-n", "40", "--json"};
        CliRun a = generate(args);
        CliRun b = generate(args);
        assertEquals(0, a.exitCode(), a::toString);
        JsonNode tokens = JSON.readTree(a.out()).get("tokens");
        assertEquals(tokens, JSON.readTree(b.out()).get("tokens"));
        assertEquals(ints(llama2cCase("temp1_topp1_seed42_200").get("token_ids"), 1, 41), ints(tokens, 0, 40));
    }

    @Test
    void llama2cCheckpointWithItsTokenizer() throws IOException {
        String model = TestData.require("stories260K.bin").toString();
        String tokenizer = TestData.require("tok512.bin").toString();
        CliRun r = generate("-m", model, "--tokenizer", tokenizer, "-p", "Zoo", "--temperature", "0", "-n", "20",
                "--threads", "1", "--device", "cpu", "--json");
        assertEquals(0, r.exitCode(), r::toString);
        JsonNode doc = JSON.readTree(r.out());
        JsonNode expected = llama2cCase("prompt_Zoo_greedy_60");
        int promptLength = expected.get("prompt_token_ids").size();
        assertEquals(ints(expected.get("prompt_token_ids"), 0, promptLength),
                ints(doc.get("prompt_tokens"), 0, doc.get("prompt_tokens").size()));
        assertEquals(ints(expected.get("token_ids"), promptLength, promptLength + 20), ints(doc.get("tokens"), 0, 20));
    }
}
