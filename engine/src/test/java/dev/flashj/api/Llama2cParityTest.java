package dev.flashj.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.TestData;
import dev.flashj.sampling.SamplingParams;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end against llama2.c run.c (expected/llama2c-stories260K.json): greedy runs, and sampled
 * runs, which match because the sampler draws like run.c (xorshift64*, one uniform per token, CDF
 * walk in vocabulary order, or over the sorted nucleus for top-p) when top-k and min-p are off.
 */
class Llama2cParityTest {

    private static JsonNode cases() throws IOException {
        return new ObjectMapper().readTree(TestData.require("expected/llama2c-stories260K.json").toFile()).get("cases");
    }

    private static SamplingParams samplingOf(JsonNode args) {
        float temperature = (float) args.get("temperature").asDouble();
        if (temperature == 0f) {
            return SamplingParams.greedy();
        }
        float topP = (float) args.get("topp").asDouble();
        return new SamplingParams(temperature, 0, topP <= 0f || topP >= 1f ? 1f : topP, 0f, 1f, 64,
                args.get("seed").asLong());
    }

    private static void checkAll(Path modelPath, LoadOptions options) throws IOException {
        int checked = 0;
        try (Model model = Flashj.load(modelPath, options)) {
            for (JsonNode c : cases()) {
                JsonNode args = c.get("llama2c_args");
                int[] expectedPrompt = ReadmeExampleTest.ids(c.get("prompt_token_ids"));
                int[] all = ReadmeExampleTest.ids(c.get("token_ids"));
                int[] expectedGenerated = Arrays.copyOfRange(all, expectedPrompt.length, all.length);
                GenerationRequest request = GenerationRequest.builder(args.get("prompt").asText())
                        .maxTokens(expectedGenerated.length).sampling(samplingOf(args)).build();
                GenerationResult r = model.generate(request);
                String name = c.get("name").asText();
                assertArrayEquals(expectedPrompt, r.promptTokens(), name + ": prompt ids");
                assertArrayEquals(expectedGenerated, r.tokens(), name + ": generated ids");
                assertEquals(FinishReason.LENGTH, r.finishReason(), name);
                String expectedText = c.get("expected_text").asText();
                String prompt = args.get("prompt").asText();
                String ours = prompt + r.text(); // after a lone BOS the text starts without a space, like run.c
                assertTrue(ours.startsWith(expectedText), name + ": text\n" + ours + "\nvs llama2.c\n" + expectedText);
                checked++;
            }
        }
        assertEquals(7, checked);
    }

    @Test
    void ggufMatchesLlama2c() throws IOException {
        checkAll(TestData.require("stories260K.gguf"), LoadOptions.defaults().withThreads(2));
    }

    @Test
    void llama2cCheckpointMatchesLlama2c() throws IOException {
        Path tokenizer = TestData.require("tok512.bin");
        checkAll(TestData.require("stories260K.bin"), new LoadOptions(Device.CPU, "", 1, 0, Optional.of(tokenizer)));
    }
}
