package dev.flashj.batch;

import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.kv.KvBudget;
import dev.flashj.model.ModelLoader;
import dev.flashj.model.ModelSession;
import dev.flashj.model.cpu.CpuLlamaModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scheduler on stories260K with a KV pool too small for its batch: it queues, preempts and resumes. */
class BatchSchedulerTest {
    private static CpuThreads threads;

    @BeforeAll
    static void start() {
        threads = new CpuThreads(1);
    }

    @AfterAll
    static void stop() {
        threads.close();
    }

    private static CpuLlamaModel load(long kvTokens) {
        return CpuLlamaModel.load(ModelLoader.open(TestData.require("stories260K.gguf"), Optional.empty()), threads,
                KvBudget.tokens(kvTokens), 16);
    }

    @Test
    void aFullPoolQueuesAndPreemptsAndEverySequenceStillGetsItsGreedyTokens() {
        try (CpuLlamaModel model = load(48)) { // 3 blocks of 16 per layer: one full-length sequence at a time
            List<Greedy> sequences = List.of(new Greedy(prompt(10, 1), 30), new Greedy(prompt(7, 2), 30),
                    new Greedy(prompt(12, 3), 25));
            List<SchedulerEvent> events = new ArrayList<>();
            BatchScheduler scheduler = new BatchScheduler(model, model.newBatchDecoder(3).orElseThrow(), events::add);
            long[] ids = new long[sequences.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = scheduler.submit(sequences.get(i));
            }
            int steps = 0;
            while (scheduler.hasWork()) {
                scheduler.step();
                assertTrue(++steps < 1000, "the scheduler makes progress");
            }
            for (int i = 0; i < sequences.size(); i++) {
                Greedy g = sequences.get(i);
                assertTrue(g.completed, "sequence " + i + " completed");
                assertNull(g.failure);
                assertEquals(alone(model, g.prompt, g.limit), g.tokens, "sequence " + i);
            }
            assertTrue(events.contains(new SchedulerEvent.Queued(ids[2], 5, 5)), "the third waits: " + events);
            assertTrue(events.stream().anyMatch(e -> e instanceof SchedulerEvent.Preempted), events::toString);
            assertTrue(scheduler.preemptions() > 0);
            assertEquals(0, model.kvPool().usedBlocks(), "every block is back in the pool");
            scheduler.close();
        }
    }

    @Test
    void aRequestJoinsBetweenStepsAndTheFinishedOneLeaves() {
        try (CpuLlamaModel model = load(512)) {
            List<SchedulerEvent> events = new ArrayList<>();
            BatchScheduler scheduler = new BatchScheduler(model, model.newBatchDecoder(4).orElseThrow(), events::add);
            Greedy first = new Greedy(prompt(6, 8), 12);
            Greedy late = new Greedy(prompt(11, 9), 20);
            scheduler.submit(first);
            for (int i = 0; i < 5; i++) {
                scheduler.step();
            }
            long lateId = scheduler.submit(late);
            scheduler.step();
            assertEquals(2, scheduler.runningCount());
            assertTrue(events.contains(new SchedulerEvent.Admitted(lateId, 11, false, 2)), events::toString);
            while (scheduler.runningCount() == 2) {
                scheduler.step();
            }
            assertTrue(first.completed && !late.completed, "the shorter one left first");
            while (scheduler.hasWork()) {
                scheduler.step();
            }
            assertEquals(alone(model, first.prompt, first.limit), first.tokens);
            assertEquals(alone(model, late.prompt, late.limit), late.tokens);
        }
    }

    @Test
    void aPromptBeyondTheWholeBudgetFailsAndTheOthersRun() {
        try (CpuLlamaModel model = load(32)) {
            Greedy tooLong = new Greedy(prompt(40, 4), 4);
            Greedy fits = new Greedy(prompt(5, 5), 6);
            List<SchedulerEvent> events = new ArrayList<>();
            BatchScheduler scheduler = new BatchScheduler(model, model.newBatchDecoder(2).orElseThrow(), events::add);
            long id = scheduler.submit(tooLong);
            scheduler.submit(fits);
            while (scheduler.hasWork()) {
                scheduler.step();
            }
            assertInstanceOf(FlashjException.class, tooLong.failure);
            assertTrue(tooLong.failure.getMessage().contains("KV budget"), tooLong.failure.getMessage());
            assertTrue(events.stream().anyMatch(e -> e instanceof SchedulerEvent.Failed f && f.requestId() == id));
            assertEquals(alone(model, fits.prompt, fits.limit), fits.tokens);
        }
    }

    @Test
    void closingFailsRunningAndWaitingRequestsAndFreesTheirBlocks() {
        try (CpuLlamaModel model = load(256)) {
            BatchScheduler scheduler = new BatchScheduler(model, model.newBatchDecoder(1).orElseThrow(), e -> { });
            Greedy running = new Greedy(prompt(9, 6), 50);
            Greedy waiting = new Greedy(prompt(9, 7), 50);
            scheduler.submit(running);
            scheduler.submit(waiting);
            scheduler.step();
            assertEquals(1, scheduler.runningCount());
            assertEquals(1, scheduler.waitingCount());
            scheduler.close();
            assertInstanceOf(FlashjException.class, running.failure);
            assertInstanceOf(FlashjException.class, waiting.failure);
            assertEquals(0, model.kvPool().usedBlocks());
        }
    }

    private static int[] prompt(int length, long seed) {
        int[] p = new Random(seed).ints(length, 3, 512).toArray();
        p[0] = 1; // BOS
        return p;
    }

    /** The greedy tokens of one sequence decoded alone. */
    private static List<Integer> alone(CpuLlamaModel model, int[] prompt, int limit) {
        List<Integer> out = new ArrayList<>();
        try (ModelSession s = model.newSession(prompt.length + limit)) {
            float[] logits = s.feed(prompt, 0, prompt.length);
            while (true) {
                int t = argmax(logits);
                out.add(t);
                if (out.size() == limit) {
                    return out;
                }
                logits = s.feed(new int[]{t}, 0, 1);
            }
        }
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Takes the most likely token until it has {@code limit}. */
    private static final class Greedy implements BatchSequence {
        final int[] prompt;
        final int limit;
        final List<Integer> tokens = new ArrayList<>();
        boolean completed;
        RuntimeException failure;

        Greedy(int[] prompt, int limit) {
            this.prompt = prompt;
            this.limit = limit;
        }

        @Override
        public int[] promptTokens() {
            return prompt;
        }

        @Override
        public int capacity() {
            return prompt.length + limit;
        }

        @Override
        public int next(float[] logits) {
            int t = argmax(logits);
            tokens.add(t);
            return t;
        }

        @Override
        public boolean finished() {
            return tokens.size() >= limit;
        }

        @Override
        public void completed() {
            completed = true;
        }

        @Override
        public void failed(RuntimeException cause) {
            failure = cause;
        }
    }
}
