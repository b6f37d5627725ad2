package dev.flashj.api;

import dev.flashj.batch.SchedulerEvent;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A request submitted with {@link Model#submit}: its result as a future, a way to cancel it, and what
 * the batch scheduler did with it. The future completes with the {@link GenerationResult} (also when
 * cancelled: {@link FinishReason#CANCELLED} with the tokens so far) or exceptionally with a
 * {@link dev.flashj.FlashjException} saying why it could not run.
 *
 * <p>In a batched result, {@link Timings#promptMillis()} is the time from submission to the first
 * token (waiting included) and {@link Timings#decodeMillis()} the wall time from then on, which the
 * sequence shared with its batch.
 */
public final class BatchHandle {
    private final GenerationRequest request;
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private final List<SchedulerEvent> events = new CopyOnWriteArrayList<>();
    private volatile boolean cancelRequested;

    BatchHandle(GenerationRequest request) {
        this.request = request;
    }

    public GenerationRequest request() {
        return request;
    }

    /** Completes when the generation ends. */
    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    /** Stops the generation before its next token (or before it starts); safe from any thread. */
    public void cancel() {
        cancelRequested = true;
    }

    /**
     * The scheduler's events for this request so far (submitted, queued, admitted, preempted,
     * finished); empty when the backend generates sequentially.
     */
    public List<SchedulerEvent> events() {
        return List.copyOf(events);
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    void record(SchedulerEvent event) {
        events.add(event);
    }

    void complete(GenerationResult value) {
        result.complete(value);
    }

    void fail(Throwable cause) {
        result.completeExceptionally(cause);
    }
}
