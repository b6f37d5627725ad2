package dev.flashj.batch;

/**
 * What the {@link BatchScheduler} did with a request, reported as it happens, so that waiting and
 * preemption — the expected answers to a spent KV budget — are visible to callers.
 */
public sealed interface SchedulerEvent {

    /** The scheduler's id of the request. */
    long requestId();

    /** Submitted and waiting for a slot in the batch. */
    record Submitted(long requestId, int promptTokens) implements SchedulerEvent {
    }

    /** Waiting because the KV budget has no room for its prefill now. */
    record Queued(long requestId, int blocksNeeded, int blocksFree) implements SchedulerEvent {
    }

    /**
     * Joined the batch after a prefill of {@code prefillTokens} tokens; {@code resumed} after a
     * preemption (the prefill then recomputes everything the sequence held).
     */
    record Admitted(long requestId, int prefillTokens, boolean resumed, int batchSize) implements SchedulerEvent {
    }

    /**
     * Left the batch and freed its KV blocks so that older sequences can grow; it waits at the head of
     * the queue and resumes by recomputing its {@code heldTokens} tokens.
     */
    record Preempted(long requestId, int heldTokens, int blocksFreed) implements SchedulerEvent {
    }

    /** Done: {@code generatedTokens} tokens, and its blocks are back in the pool. */
    record Finished(long requestId, int generatedTokens) implements SchedulerEvent {
    }

    /** Ended without finishing, for {@code reason}. */
    record Failed(long requestId, String reason) implements SchedulerEvent {
    }
}
