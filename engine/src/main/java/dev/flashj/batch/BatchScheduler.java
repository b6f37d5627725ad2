package dev.flashj.batch;

import dev.flashj.FlashjException;
import dev.flashj.model.BatchDecoder;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.ModelSession;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Continuous batching on one model. Each {@link #step()} admits waiting requests while the batch and
 * the KV budget have room (a prefill each, in arrival order), makes room for one more token of every
 * running sequence, and decodes them all in one {@link BatchDecoder} pass; finished sequences leave at
 * once. Sequences share the model's KV pool, so requests with a common prompt prefix share its blocks.
 *
 * <p>A spent KV budget is an expected state: a request that does not fit waits ({@link
 * SchedulerEvent.Queued}); when a running sequence cannot grow, the newest one is preempted — its
 * blocks are freed and it waits at the head of the queue, to resume by recomputing its tokens (full
 * blocks it published may still be cached, which makes that cheap). A request that could never fit,
 * even alone, fails with a message. Results do not depend on batching: every sequence's logits are
 * those of decoding it alone (a resumed one recomputes its cache by prefill instead).
 *
 * <p>{@link #submit} is thread-safe; everything else belongs to the one thread that drives the steps.
 */
public final class BatchScheduler implements AutoCloseable {
    private final LanguageModel model;
    private final BatchDecoder decoder;
    private final Consumer<SchedulerEvent> events;
    private final ConcurrentLinkedQueue<Waiting> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private final List<Running> running = new ArrayList<>(); // oldest first
    private final float[][] logits;
    private final int[] tokens;
    private long decodedTokens;
    private long preemptions;
    private boolean closed;

    /** @param events receives every {@link SchedulerEvent}, on the driving thread */
    public BatchScheduler(LanguageModel model, BatchDecoder decoder, Consumer<SchedulerEvent> events) {
        this.model = model;
        this.decoder = decoder;
        this.events = events;
        this.logits = new float[decoder.maxBatch()][model.config().vocabSize()];
        this.tokens = new int[decoder.maxBatch()];
    }

    /** Queues a request; returns its id (the one its events carry). Thread-safe. */
    public long submit(BatchSequence sequence) {
        int[] prompt = sequence.promptTokens();
        if (prompt.length == 0 || prompt.length > sequence.capacity()) {
            throw new FlashjException("a batched request needs 1 to " + sequence.capacity() + " prompt tokens, got "
                    + prompt.length);
        }
        long id = nextId.getAndIncrement();
        inbox.add(new Waiting(id, sequence, prompt.clone(), false));
        return id;
    }

    /** Whether a request is waiting or running. */
    public boolean hasWork() {
        return !inbox.isEmpty() || !waiting.isEmpty() || !running.isEmpty();
    }

    /** Sequences in the batch now. */
    public int runningCount() {
        return running.size();
    }

    /** Requests waiting for the batch (new or preempted). */
    public int waitingCount() {
        return waiting.size() + inbox.size();
    }

    /** Tokens produced by batched decode steps so far. */
    public long decodedTokens() {
        return decodedTokens;
    }

    /** Preemptions so far. */
    public long preemptions() {
        return preemptions;
    }

    /** Admits what fits, then decodes one token for every running sequence. */
    public void step() {
        if (closed) {
            throw new FlashjException("the batch scheduler is closed");
        }
        for (Waiting w; (w = inbox.poll()) != null; ) {
            waiting.addLast(w);
            events.accept(new SchedulerEvent.Submitted(w.id, w.context.length));
        }
        retireFinished();
        admit();
        makeRoom();
        if (!running.isEmpty()) {
            decode();
        }
    }

    /** Fails every waiting and running request and frees their caches. Idempotent. */
    @Override
    public void close() {
        abort(new FlashjException("the batch scheduler was closed"));
    }

    /** Like {@link #close()}, failing the requests with {@code cause} (the driver failed). */
    public void abort(RuntimeException cause) {
        if (closed) {
            return;
        }
        closed = true;
        for (Waiting w; (w = inbox.poll()) != null; ) {
            waiting.addLast(w);
        }
        for (Waiting w : waiting) {
            fail(w.id, w.sequence, cause);
        }
        waiting.clear();
        for (Running r : running) {
            r.session.close();
            fail(r.id, r.sequence, cause);
        }
        running.clear();
    }

    private void retireFinished() {
        for (int i = running.size() - 1; i >= 0; i--) {
            if (running.get(i).sequence.finished()) {
                finish(running.remove(i));
            }
        }
    }

    private void admit() {
        while (running.size() < decoder.maxBatch() && !waiting.isEmpty()) {
            Waiting w = waiting.peekFirst();
            if (w.sequence.finished()) { // cancelled while waiting
                waiting.pollFirst();
                events.accept(new SchedulerEvent.Finished(w.id, w.context.length - w.sequence.promptTokens().length));
                w.sequence.completed();
                continue;
            }
            int needed = decoder.blocksFor(w.context.length + 1);
            if (needed > decoder.capacityBlocks()) {
                waiting.pollFirst();
                fail(w.id, w.sequence, new FlashjException("request " + w.id + " needs " + needed + " KV blocks for "
                        + (w.context.length + 1) + " tokens but the whole KV budget is " + decoder.capacityBlocks()
                        + " blocks; raise the KV budget"));
                continue;
            }
            // Keep a block per layer spare for the running sequences, so an admission is not undone
            // by a preemption in the same step.
            int spare = running.isEmpty() ? 0 : decoder.blocksFor(1);
            if (!running.isEmpty() && needed + spare > decoder.freeBlocks()) {
                if (!w.reportedQueued) {
                    w.reportedQueued = true;
                    events.accept(new SchedulerEvent.Queued(w.id, needed, decoder.freeBlocks()));
                }
                return;
            }
            waiting.pollFirst();
            start(w);
        }
    }

    private void start(Waiting w) {
        ModelSession session = null;
        try {
            session = model.newSession(w.sequence.capacity());
            float[] first = session.feed(w.context, 0, w.context.length);
            Running r = new Running(w.id, w.sequence, session, w.context);
            events.accept(new SchedulerEvent.Admitted(w.id, w.context.length, w.resumed, running.size() + 1));
            r.push(w.sequence.next(first));
            if (w.sequence.finished()) {
                finish(r);
            } else {
                running.add(r);
            }
        } catch (RuntimeException e) {
            if (session != null) {
                session.close();
            }
            fail(w.id, w.sequence, e);
        }
    }

    /** Reserves one token of room for every running sequence, oldest first, preempting the newest while short. */
    private void makeRoom() {
        int i = 0;
        while (i < running.size()) {
            Running r = running.get(i);
            if (decoder.reserve(r.session, 1).granted()) {
                i++;
                continue;
            }
            Running newest = running.getLast();
            if (newest == r && i == 0) {
                running.removeLast();
                r.session.close();
                fail(r.id, r.sequence, new FlashjException("request " + r.id + " cannot grow past " + (r.length - 1)
                        + " tokens: the KV budget of " + decoder.capacityBlocks() + " blocks is full even with"
                        + " no other sequence running; raise the KV budget"));
                continue;
            }
            preempt(running.removeLast());
        }
    }

    private void preempt(Running r) {
        int freeBefore = decoder.freeBlocks();
        r.session.close();
        preemptions++;
        waiting.addFirst(new Waiting(r.id, r.sequence, Arrays.copyOf(r.tokens, r.length), true));
        events.accept(new SchedulerEvent.Preempted(r.id, r.length - 1, decoder.freeBlocks() - freeBefore));
    }

    private void decode() {
        int n = running.size();
        List<ModelSession> sessions = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Running r = running.get(i);
            sessions.add(r.session);
            tokens[i] = r.tokens[r.length - 1];
        }
        try {
            decoder.decode(sessions, tokens, logits);
        } catch (RuntimeException e) {
            for (Running r : running) {
                r.session.close();
                fail(r.id, r.sequence, e);
            }
            running.clear();
            return;
        }
        decodedTokens += n;
        for (int i = 0; i < n; i++) {
            Running r = running.get(i);
            try {
                r.push(r.sequence.next(logits[i]));
            } catch (RuntimeException e) {
                r.failed = e;
            }
        }
        for (int i = n - 1; i >= 0; i--) {
            Running r = running.get(i);
            if (r.failed != null) {
                running.remove(i);
                r.session.close();
                fail(r.id, r.sequence, r.failed);
            } else if (r.sequence.finished()) {
                finish(running.remove(i));
            }
        }
    }

    private void finish(Running r) {
        r.session.close();
        events.accept(new SchedulerEvent.Finished(r.id, r.length - r.sequence.promptTokens().length));
        r.sequence.completed();
    }

    private void fail(long id, BatchSequence sequence, RuntimeException cause) {
        events.accept(new SchedulerEvent.Failed(id, String.valueOf(cause.getMessage())));
        sequence.failed(cause);
    }

    /** A request not in the batch: new (its prompt) or preempted (everything it held plus its next token). */
    private static final class Waiting {
        final long id;
        final BatchSequence sequence;
        final int[] context;
        final boolean resumed;
        boolean reportedQueued;

        Waiting(long id, BatchSequence sequence, int[] context, boolean resumed) {
            this.id = id;
            this.sequence = sequence;
            this.context = context;
            this.resumed = resumed;
        }
    }

    /** A sequence in the batch; its last token is the one to feed next. */
    private static final class Running {
        final long id;
        final BatchSequence sequence;
        final ModelSession session;
        int[] tokens;
        int length;
        RuntimeException failed;

        Running(long id, BatchSequence sequence, ModelSession session, int[] fed) {
            this.id = id;
            this.sequence = sequence;
            this.session = session;
            this.tokens = Arrays.copyOf(fed, fed.length + 16);
            this.length = fed.length;
        }

        void push(int token) {
            if (length == tokens.length) {
                tokens = Arrays.copyOf(tokens, tokens.length * 2);
            }
            tokens[length++] = token;
        }
    }
}
