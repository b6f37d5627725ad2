package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * A loaded model, from {@link Flashj#load(Path, LoadOptions)}. Thread-safe: any number of threads
 * may generate at once, each in its own {@link Session} (or through the one-shot
 * {@link #generate(GenerationRequest)}). {@link #close()} waits for running model passes, frees
 * everything (open sessions included), and every later call fails with a {@link FlashjException}.
 * The backend's model owns the checkpoint file and closes it.
 */
public final class Model implements AutoCloseable {
    private final ModelFile file;
    private final LanguageModel languageModel;
    private final AutoCloseable backendResources;
    private final String deviceDescription;
    private final int contextLength;
    private final int maxBatch;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private BatchRunner batchRunner; // started by the first submit
    /** Model passes hold the read lock; close takes the write lock, so it never frees memory in use. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed;

    Model(ModelFile file, LanguageModel languageModel, AutoCloseable backendResources, String deviceDescription,
          int contextLength) {
        this(file, languageModel, backendResources, deviceDescription, contextLength, LoadOptions.DEFAULT_MAX_BATCH);
    }

    Model(ModelFile file, LanguageModel languageModel, AutoCloseable backendResources, String deviceDescription,
          int contextLength, int maxBatch) {
        this.maxBatch = maxBatch;
        this.file = file;
        this.languageModel = languageModel;
        this.backendResources = backendResources;
        this.deviceDescription = deviceDescription;
        this.contextLength = contextLength;
    }

    /** The file or directory it was loaded from. */
    public Path path() {
        return file.path();
    }

    public ModelFormat format() {
        return file.format();
    }

    /** The architecture name, e.g. "llama". */
    public String architecture() {
        return file.architecture();
    }

    public LlamaConfig config() {
        return languageModel.config();
    }

    public Tokenizer tokenizer() {
        return languageModel.tokenizer();
    }

    /** The most tokens a session holds (see {@link LoadOptions#contextLength()}). */
    public int contextLength() {
        return contextLength;
    }

    /** Where it runs, e.g. "cpu (2 threads, 256-bit vectors)". */
    public String deviceDescription() {
        return deviceDescription;
    }

    /** The chat template stored with the model (GGUF metadata or tokenizer_config.json), if any. */
    public Optional<String> chatTemplate() {
        requireOpen();
        return ChatTemplateLookup.find(file, tokenizer());
    }

    /** One line for display: "GGUF llama, 5 layers, dim 64, 8 heads (4 KV), vocab 512, context 2048". */
    public String describe() {
        LlamaConfig c = config();
        return format() + " " + architecture() + ", " + c.numLayers() + " layers, dim "
                + c.dim() + ", " + c.numHeads() + " heads (" + c.numKvHeads() + " KV), vocab " + c.vocabSize()
                + ", context " + contextLength + (contextLength < c.contextLength()
                ? " (of " + c.contextLength() + ")" : "");
    }

    /** The prompt's token ids as a generation would run them (BOS added when the tokenizer asks for it). */
    public int[] encode(GenerationRequest request) {
        requireOpen();
        Tokenizer t = tokenizer();
        return t.encode(request.prompt(), t.addBosByDefault(), request.parseSpecial());
    }

    /** Opens a conversation with a cache of {@link #contextLength()} tokens. */
    public Session newSession() {
        return newSession(contextLength, new EvictionPolicy.None());
    }

    /** Opens a conversation whose KV cache follows {@code kvPolicy} once over its budget. */
    public Session newSession(EvictionPolicy kvPolicy) {
        return newSession(contextLength, kvPolicy);
    }

    /** Generates to the end in a fresh cache sized to the request, and returns the result. */
    public GenerationResult generate(GenerationRequest request) {
        return stream(request).result();
    }

    /** As {@link #generate(GenerationRequest)}, giving each token to {@code listener} as it comes. */
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        try (Generation generation = stream(request)) {
            while (generation.hasNext()) {
                GeneratedToken token = generation.next();
                listener.onToken(token.id(), token.text());
            }
            return generation.result();
        }
    }

    /** Starts a generation to pull tokens from, in its own cache (freed when it ends or is closed). */
    public Generation stream(GenerationRequest request) {
        int[] prompt = encode(request);
        if (prompt.length > contextLength) {
            throw new FlashjException("the prompt has " + prompt.length + " tokens but the context holds "
                    + contextLength);
        }
        int capacity = (int) Math.min(contextLength, (long) prompt.length + request.maxTokens());
        Session session = newSession(capacity, request.kvPolicy());
        try {
            return session.begin(request, prompt, true);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /**
     * Queues a generation to run with others: on a backend with batched decoding (the CPU) up to
     * {@code maxBatch} requests decode together, each exactly as it would alone (same tokens for the
     * same sampling settings and seed); elsewhere they run one after another. New requests join
     * between steps. The KV cache is the model's shared budget: a request that does not fit waits, and
     * a running one may be preempted and later recomputed (see {@link BatchHandle#events()}).
     * Requests keep their whole KV cache: a {@link GenerationRequest#kvPolicy()} other than none is
     * rejected.
     */
    public BatchHandle submit(GenerationRequest request) {
        return submit(request, (id, text) -> { });
    }

    /** As {@link #submit(GenerationRequest)}, giving each token to {@code listener} on the batch thread. */
    public BatchHandle submit(GenerationRequest request, TokenListener listener) {
        if (!(request.kvPolicy() instanceof EvictionPolicy.None)) {
            throw new FlashjException("batched generation keeps every KV entry; the KV policy " + request.kvPolicy()
                    + " needs Model.generate");
        }
        int[] prompt = encode(request);
        if (prompt.length == 0) {
            throw new FlashjException("the prompt is empty and the tokenizer adds no BOS: nothing to run");
        }
        if (prompt.length > contextLength) {
            throw new FlashjException("the prompt has " + prompt.length + " tokens but the context holds "
                    + contextLength);
        }
        int capacity = (int) Math.min(contextLength, (long) prompt.length + request.maxTokens());
        return batchRunner().submit(request, prompt, capacity, listener);
    }

    /**
     * Generates every request, batched where the backend can, and returns the results in order.
     *
     * @throws FlashjException for the first request that failed (the others still ran)
     */
    public List<GenerationResult> generateBatch(List<GenerationRequest> requests) {
        List<BatchHandle> handles = new ArrayList<>();
        for (GenerationRequest r : requests) {
            handles.add(submit(r));
        }
        List<GenerationResult> results = new ArrayList<>();
        RuntimeException failure = null;
        for (BatchHandle h : handles) {
            try {
                results.add(h.result().join());
            } catch (CompletionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException re ? re
                            : new FlashjException("batched generation failed: " + e.getCause(), e.getCause());
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return results;
    }

    /** Whether {@link #submit} decodes requests together on this backend (false: one after another). */
    public boolean supportsBatching() {
        return batchRunner().batching();
    }

    private synchronized BatchRunner batchRunner() {
        requireOpen();
        if (batchRunner == null) {
            batchRunner = new BatchRunner(this, languageModel, maxBatch);
        }
        return batchRunner;
    }

    /** Frees the model and every open session; waits for running model passes. Idempotent. */
    @Override
    public void close() {
        BatchRunner runner;
        synchronized (this) {
            runner = batchRunner;
        }
        if (runner != null) {
            if (runner.isBatchThread()) {
                // the batch step running this listener holds the model's guard: closing here would deadlock
                throw new FlashjException("a token listener of Model.submit cannot close the model;"
                        + " cancel the request (BatchHandle.cancel) and close the model from another thread");
            }
            runner.shutdown();
        }
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            List<RuntimeException> failures = new ArrayList<>();
            for (Session s : sessions) {
                run(s::release, failures);
            }
            sessions.clear();
            run(languageModel::close, failures);
            run(() -> {
                try {
                    backendResources.close();
                } catch (Exception e) {
                    throw new FlashjException("closing the backend failed: " + e.getMessage(), e);
                }
            }, failures);
            if (!failures.isEmpty()) {
                throw failures.getFirst();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static void run(Runnable action, List<RuntimeException> failures) {
        try {
            action.run();
        } catch (RuntimeException e) {
            failures.add(e);
        }
    }

    boolean isClosed() {
        return closed;
    }

    void requireOpen() {
        if (closed) {
            throw new FlashjException("the model " + file.path() + " is closed");
        }
    }

    /** Runs a model pass unless the model is closed; close waits for it. */
    <T> T guarded(Supplier<T> action) {
        lock.readLock().lock();
        try {
            requireOpen();
            return action.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    private Session newSession(int capacity, EvictionPolicy kvPolicy) {
        return guarded(() -> {
            Session s = new Session(this, languageModel.newSession(capacity, kvPolicy));
            sessions.add(s);
            return s;
        });
    }

    void closeSession(Session s) {
        lock.readLock().lock();
        try {
            if (sessions.remove(s)) {
                s.release();
            }
        } finally {
            lock.readLock().unlock();
        }
    }
}
