package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.batch.BatchScheduler;
import dev.flashj.batch.SchedulerEvent;
import dev.flashj.model.BatchDecoder;
import dev.flashj.model.LanguageModel;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The thread behind {@link Model#submit}: it drives a {@link BatchScheduler} while requests are
 * waiting or running, each step under the model's guard so that closing the model waits for it. A
 * backend without a {@link BatchDecoder} gets the same API with one generation after another.
 */
final class BatchRunner {
    private final Model model;
    private final BatchScheduler scheduler; // null: the backend generates one sequence at a time
    private final Object lock = new Object();
    private final Map<Long, BatchHandle> handles = new HashMap<>();
    private final ArrayDeque<Alone> sequential = new ArrayDeque<>();
    private final Thread worker;
    private boolean stopping;
    private FlashjException failure; // why the thread stopped, when it failed

    BatchRunner(Model model, LanguageModel languageModel, int maxBatch) {
        this.model = model;
        Optional<BatchDecoder> decoder = languageModel.newBatchDecoder(maxBatch);
        this.scheduler = decoder.map(d -> new BatchScheduler(languageModel, d, this::route)).orElse(null);
        this.worker = Thread.ofPlatform().daemon().name("flashj-batch").unstarted(this::loop);
        worker.start();
    }

    /** Whether the caller is this runner's thread (a token listener of a submitted request). */
    boolean isBatchThread() {
        return Thread.currentThread() == worker;
    }

    /** Whether requests are decoded together (false: one after another). */
    boolean batching() {
        return scheduler != null;
    }

    BatchHandle submit(GenerationRequest request, int[] prompt, int capacity, TokenListener listener) {
        BatchHandle handle = new BatchHandle(request);
        synchronized (lock) {
            if (failure != null) {
                throw failure;
            }
            if (stopping) {
                throw new FlashjException("the model " + model.path() + " is closed");
            }
            if (scheduler != null) {
                long id = scheduler.submit(new BatchedGeneration(model, handle, listener, prompt, capacity));
                handles.put(id, handle);
            } else {
                sequential.addLast(new Alone(handle, listener));
            }
            lock.notifyAll();
        }
        return handle;
    }

    /**
     * The driving thread failed outside any one request (a bug): fail everything rather than leave
     * futures waiting forever, and refuse new requests.
     */
    private void abort(RuntimeException cause) {
        FlashjException failure = new FlashjException("the batch thread failed: " + cause, cause);
        synchronized (lock) {
            stopping = true;
            this.failure = failure;
            sequential.forEach(job -> job.handle().fail(failure));
            sequential.clear();
        }
        if (scheduler != null) {
            scheduler.abort(failure);
        }
    }

    /** Stops the thread (after its current step) and fails what has not finished. */
    void shutdown() {
        synchronized (lock) {
            if (stopping) {
                return;
            }
            stopping = true;
            lock.notifyAll();
        }
        if (Thread.currentThread() != worker) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        FlashjException closed = new FlashjException("the model " + model.path() + " was closed");
        if (scheduler != null) {
            scheduler.close();
        }
        synchronized (lock) {
            sequential.forEach(job -> job.handle().fail(closed));
            sequential.clear();
            handles.values().forEach(h -> h.fail(closed));
            handles.clear();
        }
    }

    private void loop() {
        while (true) {
            Alone job = null;
            synchronized (lock) {
                while (!stopping && !hasWork()) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (stopping) {
                    return;
                }
                if (scheduler == null) {
                    job = sequential.pollFirst();
                }
            }
            try {
                if (scheduler != null) {
                    model.guarded(() -> {
                        scheduler.step();
                        return null;
                    });
                } else {
                    generateAlone(job.handle(), job.listener());
                }
            } catch (RuntimeException e) {
                if (!model.isClosed()) {
                    abort(e);
                }
                return;
            }
        }
    }

    /** A request waiting for its turn on a backend without batching. */
    private record Alone(BatchHandle handle, TokenListener listener) {
    }

    private boolean hasWork() {
        return scheduler != null ? scheduler.hasWork() : !sequential.isEmpty();
    }

    /** Scheduler events go to the request's handle; its last event forgets the handle. */
    private void route(SchedulerEvent event) {
        BatchHandle handle;
        synchronized (lock) {
            handle = handles.get(event.requestId());
            if (event instanceof SchedulerEvent.Finished || event instanceof SchedulerEvent.Failed) {
                handles.remove(event.requestId());
            }
        }
        if (handle != null) {
            handle.record(event);
        }
    }

    private void generateAlone(BatchHandle handle, TokenListener listener) {
        try (Generation g = model.stream(handle.request())) {
            while (true) {
                if (handle.cancelRequested()) {
                    g.cancel();
                }
                if (!g.hasNext()) {
                    break;
                }
                GeneratedToken token = g.next();
                listener.onToken(token.id(), token.text());
            }
            handle.complete(g.result());
        } catch (RuntimeException e) {
            handle.fail(e);
        }
    }
}
