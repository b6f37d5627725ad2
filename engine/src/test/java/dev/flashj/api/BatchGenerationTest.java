package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.batch.SchedulerEvent;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.kv.KvBudget;
import dev.flashj.sampling.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batched generation on stories260K: every request gets exactly the tokens it gets alone (greedy and
 * seeded sampling, ragged prompts and limits), also when a tight KV budget forces waiting and
 * preemption.
 */
class BatchGenerationTest {
    private static final String[] PROMPTS = {
            "Once upon a time",
            "Lily",
            "The little dog ran to the park and saw a big red ball. He wanted to",
            "Tom and Sue went",
            "One day, a bird",
            "The sun",
    };
    private static final int[] MAX_TOKENS = {24, 40, 9, 57, 1, 33};

    private static Model model;
    private static List<GenerationRequest> requests;
    private static List<GenerationResult> alone;

    @BeforeAll
    static void load() {
        Path path = TestData.require("stories260K.gguf");
        model = Flashj.load(path, LoadOptions.defaults().withDevice(Device.CPU).withThreads(2).withMaxBatch(4));
        requests = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) {
            SamplingParams sampling = i % 2 == 0 ? SamplingParams.greedy() : SamplingParams.defaults().withSeed(40 + i);
            requests.add(GenerationRequest.builder(PROMPTS[i]).maxTokens(MAX_TOKENS[i]).sampling(sampling).build());
        }
        alone = new ArrayList<>();
        for (GenerationRequest r : requests) {
            alone.add(model.generate(r));
        }
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static void assertSameAsAlone(List<GenerationResult> batched) {
        assertEquals(alone.size(), batched.size());
        for (int i = 0; i < alone.size(); i++) {
            GenerationResult a = alone.get(i);
            GenerationResult b = batched.get(i);
            assertArrayEquals(a.tokens(), b.tokens(), "request " + i + " (" + PROMPTS[i] + ")");
            assertEquals(a.text(), b.text(), "request " + i);
            assertEquals(a.finishReason(), b.finishReason(), "request " + i);
        }
    }

    @Test
    void batchedResultsEqualSequentialOnes() {
        assertTrue(model.supportsBatching());
        assertSameAsAlone(model.generateBatch(requests));
    }

    @Test
    void aTightKvBudgetQueuesAndPreemptsButChangesNoToken() {
        // 5 blocks of 16 tokens per layer: room for the longest sequence, not for two long ones at once.
        LoadOptions tight = LoadOptions.defaults().withDevice(Device.CPU).withThreads(2).withMaxBatch(4)
                .withKvBudget(KvBudget.tokens(80));
        try (Model small = Flashj.load(model.path(), tight)) {
            List<BatchHandle> handles = new ArrayList<>();
            for (GenerationRequest r : requests) {
                handles.add(small.submit(r));
            }
            List<GenerationResult> results = new ArrayList<>();
            for (BatchHandle h : handles) {
                results.add(h.result().join());
            }
            assertSameAsAlone(results);
            List<SchedulerEvent> events = handles.stream().flatMap(h -> h.events().stream()).toList();
            assertTrue(events.stream().anyMatch(e -> e instanceof SchedulerEvent.Preempted), "a preemption: " + events);
            assertTrue(events.stream().anyMatch(e -> e instanceof SchedulerEvent.Admitted a && a.resumed()),
                    "a resumed sequence: " + events);
            for (BatchHandle h : handles) {
                assertInstanceOf(SchedulerEvent.Finished.class, h.events().getLast(), "ends finished: " + h.events());
            }
        }
    }

    @Test
    void aRequestLargerThanTheWholeBudgetFailsWithAReason() {
        LoadOptions tiny = LoadOptions.defaults().withDevice(Device.CPU).withThreads(1).withKvBudget(KvBudget.tokens(16));
        try (Model small = Flashj.load(model.path(), tiny)) {
            BatchHandle tooLong = small.submit(requests.get(2));
            CompletionException e = assertThrows(CompletionException.class, () -> tooLong.result().join());
            assertInstanceOf(FlashjException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("KV budget"), e.getCause().getMessage());
            assertInstanceOf(SchedulerEvent.Failed.class, tooLong.events().getLast());
            // the scheduler goes on with requests that fit
            GenerationResult fits = small.submit(requests.get(4)).result().join();
            assertArrayEquals(alone.get(4).tokens(), fits.tokens());
        }
    }

    @Test
    void cancellingFromTheListenerEndsTheRequestAfterThatToken() {
        AtomicInteger seen = new AtomicInteger();
        BatchHandle[] self = new BatchHandle[1];
        GenerationRequest longOne = GenerationRequest.builder("Once upon a time").maxTokens(100)
                .sampling(SamplingParams.greedy()).build();
        synchronized (self) {
            self[0] = model.submit(longOne, (id, text) -> {
                synchronized (self) {
                    if (seen.incrementAndGet() == 3) {
                        self[0].cancel();
                    }
                }
            });
        }
        GenerationResult other = model.submit(requests.get(0)).result().join();
        GenerationResult cancelled = self[0].result().join();
        assertEquals(FinishReason.CANCELLED, cancelled.finishReason());
        assertEquals(3, cancelled.tokens().length);
        assertArrayEquals(alone.get(0).tokens(), other.tokens());
    }

    @Test
    void aListenerThatClosesTheModelFailsItsRequestInsteadOfDeadlocking() {
        BatchHandle h = model.submit(requests.get(0), (id, text) -> model.close());
        CompletionException e = assertThrows(CompletionException.class, () -> h.result().join());
        assertTrue(e.getCause().getMessage().contains("cannot close the model"), e.getCause().getMessage());
        assertArrayEquals(alone.get(1).tokens(), model.submit(requests.get(1)).result().join().tokens(),
                "the model is still open");
    }

    @Test
    void kvPoliciesAreRejectedWithTheirName() {
        GenerationRequest evicting = GenerationRequest.builder("Lily").kvPolicy(new EvictionPolicy.Window(4, 8)).build();
        FlashjException e = assertThrows(FlashjException.class, () -> model.submit(evicting));
        assertTrue(e.getMessage().contains("Window"), e.getMessage());
    }
}
