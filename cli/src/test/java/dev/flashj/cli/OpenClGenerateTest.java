package dev.flashj.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.TestData;
import dev.flashj.api.Device;
import dev.flashj.api.Flashj;
import dev.flashj.api.GenerationRequest;
import dev.flashj.api.GenerationResult;
import dev.flashj.api.LoadOptions;
import dev.flashj.api.Model;
import dev.flashj.opencl.OpenClBackendProvider;
import dev.flashj.sampling.SamplingParams;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.flashj.cli.GenerateOptionsTest.generate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code flashj generate --device opencl} gives the CPU backend's greedy ids (PoCL in CI). */
class OpenClGenerateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void requireOpenCl() {
        var availability = new OpenClBackendProvider().availability();
        Assumptions.assumeTrue(availability.available(), "no OpenCL here: " + availability.reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K.gguf", "hf-tiny-llama2-spm"})
    void greedyIdsEqualTheCpuBackends(String model) throws IOException {
        String path = TestData.require(model).toString();
        JsonNode cpu = run(path, "cpu");
        JsonNode opencl = run(path, "opencl");
        assertEquals(cpu.get("prompt_tokens"), opencl.get("prompt_tokens"));
        assertTrue(cpu.get("tokens").size() >= 32, cpu::toString);
        assertEquals(cpu.get("tokens"), opencl.get("tokens"));
        assertEquals(cpu.get("text"), opencl.get("text"));
    }

    @Test
    void aPromptsFileIsDecodedInBatchesWithTheCpusTokens(@TempDir Path dir) throws IOException {
        String model = TestData.require("stories260K.gguf").toString();
        Path prompts = Files.writeString(dir.resolve("prompts.txt"), "Once upon a time\nLily\nThe little dog\n");
        CliRun cpu = generate("-m", model, "--prompts", prompts.toString(), "--temperature", "0", "-n", "20",
                "--device", "cpu", "--json");
        CliRun opencl = generate("-m", model, "--prompts", prompts.toString(), "--temperature", "0", "-n", "20",
                "--device", "opencl", "--json");
        assertEquals(0, opencl.exitCode(), opencl::toString);
        assertFalse(opencl.err().contains("no batched decoding"), opencl::toString);
        assertTrue(opencl.err().contains("decoded together"), opencl::toString);
        List<String> cpuLines = cpu.out().lines().toList();
        List<String> openclLines = opencl.out().lines().toList();
        assertEquals(3, openclLines.size(), opencl::toString);
        for (int i = 0; i < 3; i++) {
            assertEquals(JSON.readTree(cpuLines.get(i)).get("tokens"), JSON.readTree(openclLines.get(i)).get("tokens"));
        }
    }

    /** {@link Model#generateBatch} on OpenCL decodes the requests together and gives each its lone tokens. */
    @Test
    void generateBatchEqualsOneGenerationAtATime() {
        Path path = TestData.require("stories260K.gguf");
        try (Model model = Flashj.load(path, LoadOptions.defaults().withDevice(Device.OPENCL))) {
            assertTrue(model.supportsBatching(), model::deviceDescription);
            List<GenerationRequest> requests = new ArrayList<>();
            for (String prompt : List.of("Once upon a time", "Lily wanted", "The sun was shining and the", "Tom")) {
                requests.add(GenerationRequest.builder(prompt).maxTokens(30).sampling(SamplingParams.greedy()).build());
            }
            List<GenerationResult> batched = model.generateBatch(requests);
            for (int i = 0; i < requests.size(); i++) {
                GenerationResult alone = model.generate(requests.get(i));
                assertTrue(alone.tokens().length > 0);
                assertArrayEquals(alone.tokens(), batched.get(i).tokens(), "request " + i);
            }
        }
    }

    /** {@code --kv-policy} evicts on OpenCL as on the CPU: the same greedy ids and the same KV bytes. */
    @ParameterizedTest
    @ValueSource(strings = {"window", "snapkv", "prefixkv"})
    void kvPoliciesEqualTheCpuBackends(String policy) throws IOException {
        String path = TestData.require("stories260K.gguf").toString();
        String[] options = {"--kv-policy", policy, "--kv-budget", "24", "--kv-window", "8"};
        JsonNode cpu = run(path, "cpu", options);
        JsonNode opencl = run(path, "opencl", options);
        assertEquals(policy, opencl.get("kv_policy").asText());
        assertTrue(cpu.get("tokens").size() >= 32, cpu::toString);
        assertEquals(cpu.get("tokens"), opencl.get("tokens"), policy);
        assertEquals(cpu.get("kv_bytes"), opencl.get("kv_bytes"), policy);
        JsonNode none = run(path, "opencl");
        assertTrue(opencl.get("kv_bytes").asLong() < none.get("kv_bytes").asLong(), policy + " evicted nothing");
    }

    private static JsonNode run(String model, String device, String... extra) throws IOException {
        String[] base = {"-m", model, "-p", "Once upon a time", "--temperature", "0", "-n", "40", "--device", device,
                "--json"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        CliRun r = generate(args);
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.err().contains("device: " + device), r::toString);
        return JSON.readTree(r.out());
    }
}
