package dev.flashj.opencl.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.model.ModelFile;
import dev.flashj.model.cpu.CpuLlamaModel;
import dev.flashj.model.cpu.CpuLlamaSession;
import dev.flashj.opencl.OpenClDeviceSelector;
import dev.flashj.opencl.OpenClTestSupport;
import dev.flashj.opencl.runtime.OpenCl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.util.Arrays;

import static dev.flashj.opencl.model.OpenClLlamaModelTest.argmax;
import static dev.flashj.opencl.model.OpenClLlamaModelTest.ints;
import static dev.flashj.opencl.model.OpenClLlamaModelTest.json;
import static dev.flashj.opencl.model.OpenClLlamaModelTest.open;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenCL session's paged cache against the CPU backend's: eviction policies keep the same entries
 * decision by decision and give the same greedy ids; sessions of one model share prefix blocks.
 */
class OpenClPagedSessionTest {
    private static CpuThreads threads;

    @BeforeAll
    static void requireOpenCl() {
        try (OpenCl cl = OpenClTestSupport.openOrSkip()) {
            assertTrue(!cl.devices().isEmpty());
        }
        threads = new CpuThreads(2);
    }

    @AfterAll
    static void stopThreads() {
        if (threads != null) {
            threads.close();
        }
    }

    /** 60 tokens of a llama2.c greedy story: a prompt longer than the budgets below. */
    private static int[] storyPrompt() throws IOException {
        JsonNode cases = json("expected/llama2c-stories260K.json").get("cases");
        return Arrays.copyOf(ints(cases.get(0).get("token_ids")), 60);
    }

    @ParameterizedTest
    @CsvSource({
            "stories260K.gguf, window, 24, 8",
            "stories260K.gguf, snapkv, 24, 8",
            "stories260K.gguf, prefixkv, 24, 8",
            "stories260K.gguf, snapkv, 40, 16",
            "hf-tiny-llama2-spm, snapkv, 24, 8",
            "hf-tiny-llama2-spm, prefixkv, 32, 8"})
    void evictionKeepsTheCpuBackendsEntriesAndIds(String modelPath, String policyName, int budget, int window)
            throws IOException {
        EvictionPolicy policy = EvictionPolicy.parse(policyName, budget, window);
        int[] prompt = storyPrompt();
        int steps = 40;
        try (ModelFile cpuFile = open(modelPath);
             CpuLlamaModel cpuModel = CpuLlamaModel.load(open(modelPath), threads);
             OpenClLlamaModel clModel = OpenClLlamaModel.load(cpuFile, OpenClDeviceSelector.firstGpuOrAny());
             CpuLlamaSession cpu = cpuModel.newSession(prompt.length + steps, policy);
             OpenClLlamaSession cl = (OpenClLlamaSession) clModel.newSession(prompt.length + steps, policy)) {
            int vocab = cpuModel.config().vocabSize();
            int[] clamped = Arrays.stream(prompt).map(t -> t % vocab).toArray();
            int cpuNext = argmax(cpu.feed(clamped, 0, clamped.length));
            int clNext = argmax(cl.feed(clamped, 0, clamped.length));
            int evictions = 0;
            for (int step = 0; step < steps; step++) {
                assertEquals(cpuNext, clNext, policyName + ": greedy id at step " + step);
                int[][][] cpuKept = cpu.evictor().orElseThrow().lastKept();
                int[][][] clKept = cl.evictor().orElseThrow().lastKept();
                assertTrue(Arrays.deepEquals(cpuKept, clKept), policyName + ": kept entries differ at step " + step);
                for (int l = 0; l < cpuModel.config().numLayers(); l++) {
                    assertEquals(cpu.kvEntries(l), cl.kvEntries(l), "layer " + l + " entries at step " + step);
                }
                if (cl.lastEviction().isPresent()) {
                    evictions++;
                }
                cpuNext = argmax(cpu.feed(new int[]{cpuNext}, 0, 1));
                clNext = argmax(cl.feed(new int[]{clNext}, 0, 1));
            }
            assertTrue(evictions > 0, "the budget must force evictions");
            assertNotNull(cl.evictor().orElseThrow().lastKept());
            assertEquals(cpu.kvBytes(), cl.kvBytes());
        }
    }

    @Test
    void sessionsShareAPublishedPrefix() throws IOException {
        int[] prompt = storyPrompt();
        try (ModelFile file = open("stories260K.gguf");
             OpenClLlamaModel m = OpenClLlamaModel.load(file, OpenClDeviceSelector.firstGpuOrAny())) {
            int layers = m.config().numLayers();
            float[] first;
            int[] firstIds;
            try (OpenClLlamaSession a = (OpenClLlamaSession) m.newSession(prompt.length + 8)) {
                first = a.feed(prompt, 0, prompt.length).clone();
                int used = m.kvPool().usedBlocks();
                assertEquals(layers * 4, used, "60 tokens in blocks of 16, per layer");
                try (OpenClLlamaSession b = (OpenClLlamaSession) m.newSession(prompt.length + 8)) {
                    float[] second = b.feed(prompt, 0, prompt.length);
                    // b attached a's three full blocks of every layer and computed only the last 12 tokens.
                    assertEquals(used + layers, m.kvPool().usedBlocks());
                    for (int l = 0; l < layers; l++) {
                        for (int i = 0; i < 3; i++) {
                            assertEquals(a.kvCache().table(l).block(i), b.kvCache().table(l).block(i));
                        }
                    }
                    for (int i = 0; i < first.length; i++) {
                        assertEquals(first[i], second[i], 1e-4, "logit " + i + " with a shared prefix");
                    }
                    // Decoding past the shared blocks: the same greedy run on both.
                    int[] ids = greedyAfter(a, first, 8);
                    assertArrayEquals(ids, greedyAfter(b, second.clone(), 8));
                    firstIds = ids;
                }
            }
            // A session after both closed revives the cached blocks and still gives the same run.
            try (OpenClLlamaSession c = (OpenClLlamaSession) m.newSession(prompt.length + 8)) {
                float[] third = c.feed(prompt, 0, prompt.length).clone();
                assertEquals(layers * 4, m.kvPool().usedBlocks());
                assertArrayEquals(firstIds, greedyAfter(c, third, 8));
            }
        }
    }

    private static int[] greedyAfter(OpenClLlamaSession s, float[] logits, int steps) {
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = argmax(logits);
            if (i + 1 < steps) {
                logits = s.feed(new int[]{out[i]}, 0, 1);
            }
        }
        return out;
    }
}
