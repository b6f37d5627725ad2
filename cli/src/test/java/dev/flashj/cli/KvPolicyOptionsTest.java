package dev.flashj.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static dev.flashj.cli.GenerateOptionsTest.generate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code generate --kv-policy/--kv-budget/--kv-window} on stories260K. */
class KvPolicyOptionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode run(String... extra) throws IOException {
        String model = TestData.require("stories260K.gguf").toString();
        String[] base = {"-m", model, "-p", "Once upon a time", "--temperature", "0", "-n", "60", "--json"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        CliRun r = generate(args);
        assertEquals(0, r.exitCode(), r::toString);
        return JSON.readTree(r.out());
    }

    @Test
    void jsonReportsKvBytesAndABudgetShrinksThem() throws IOException {
        JsonNode none = run();
        assertEquals("none", none.get("kv_policy").asText());
        long full = none.get("kv_bytes").asLong();
        assertTrue(full > 0, none::toString);
        for (String policy : new String[]{"window", "snapkv", "prefixkv"}) {
            JsonNode big = run("--kv-policy", policy, "--kv-budget", "200", "--kv-window", "8");
            assertEquals(none.get("tokens"), big.get("tokens"), policy + ": a budget over the length changes nothing");
            assertEquals(full, big.get("kv_bytes").asLong(), policy);
            JsonNode small = run("--kv-policy", policy, "--kv-budget", "24", "--kv-window", "8");
            assertEquals(policy, small.get("kv_policy").asText());
            assertTrue(small.get("kv_bytes").asLong() < full, policy + ": " + small.get("kv_bytes") + " vs " + full);
            assertEquals(60, small.get("tokens").size());
        }
    }

    @Test
    void badPolicyOptionsAreUsageErrors() {
        String model = TestData.require("stories260K.gguf").toString();
        CliRun noBudget = generate("-m", model, "-p", "x", "--kv-policy", "snapkv");
        assertNotEquals(0, noBudget.exitCode());
        assertTrue(noBudget.err().contains("--kv-budget"), noBudget::toString);
        CliRun unknown = generate("-m", model, "-p", "x", "--kv-policy", "lru", "--kv-budget", "8");
        assertNotEquals(0, unknown.exitCode());
        assertTrue(unknown.err().contains("unknown policy"), unknown::toString);
        CliRun zero = generate("-m", model, "-p", "x", "--kv-policy", "window", "--kv-budget", "0");
        assertNotEquals(0, zero.exitCode());
        assertTrue(zero.err().contains("--kv-budget"), zero::toString);
    }
}
