package dev.flashj.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.TestData;
import dev.flashj.sampling.SamplingParams;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The embedding example of the README, compiled and run on stories260K. */
class ReadmeExampleTest {

    @Test
    void generatesTwentyTokensThroughACallback() throws IOException {
        Path modelPath = TestData.require("stories260K.gguf");
        StringBuilder streamed = new StringBuilder();
        GenerationResult result;

        // --- example (keep in sync with README.md, "Embedding API") ---
        try (Model model = Flashj.load(modelPath, LoadOptions.defaults().withThreads(2))) {
            System.err.println("loaded " + model.describe() + " on " + model.deviceDescription());

            GenerationRequest request = GenerationRequest.builder("Once upon a time")
                    .maxTokens(20)
                    .sampling(SamplingParams.greedy())   // or SamplingParams.defaults().withSeed(42)
                    .build();

            result = model.generate(request, (tokenId, text) -> {
                System.out.print(text);                   // streams as it is generated
                streamed.append(text);
            });
            System.out.println();
            System.err.printf("%d tokens, %.1f tokens/s, finished by %s%n",
                    result.tokens().length, result.timings().decodeTokensPerSecond(), result.finishReason());
        }
        // --- end of example ---

        JsonNode expected = new ObjectMapper().readTree(
                TestData.require("expected/llamacpp/stories260K-F32.once-upon-a-time-greedy64.json").toFile());
        int[] prompt = ids(expected.get("prompt_token_ids"));
        int[] firstTwenty = Arrays.copyOf(ids(expected.get("generated_token_ids")), 20);
        assertArrayEquals(prompt, result.promptTokens(), "prompt ids as llama.cpp (BOS included)");
        assertArrayEquals(firstTwenty, result.tokens(), "llama.cpp's greedy ids");
        assertEquals(FinishReason.LENGTH, result.finishReason());
        assertEquals(streamed.toString(), result.text());
        assertEquals(true, expected.get("generated_text").asText().startsWith(result.text()),
                "text is a prefix of llama.cpp's: " + result.text());
    }

    static int[] ids(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
