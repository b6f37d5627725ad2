package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.model.ModelSession;

import java.util.Arrays;

/**
 * A conversation with its own KV cache. Successive generations reuse the cached tokens their prompt
 * starts with, so a chat that resends its history only runs the new part. Independent sessions may
 * run concurrently on different threads; one session is driven by one thread at a time, except
 * {@link #cancel()}, which is safe from anywhere. Close it to free its memory.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final ModelSession state;
    private final int[] cached; // the ids in the KV cache, [0, state.position())
    private volatile long kvBytes = -1;
    private volatile Generation current;
    private volatile boolean closed;

    Session(Model model, ModelSession state) {
        this.model = model;
        this.state = state;
        this.cached = new int[state.maxTokens()];
    }

    /** The model this session runs. */
    public Model model() {
        return model;
    }

    /** The most tokens (prompt plus generated) this session holds. */
    public int contextLength() {
        return state.maxTokens();
    }

    /** Tokens currently in the cache. */
    public int cachedTokens() {
        return state.position();
    }

    /** Generates to the end and returns the result. */
    public GenerationResult generate(GenerationRequest request) {
        return start(request).result();
    }

    /** Generates to the end, giving each token to {@code listener} as it comes. */
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        try (Generation generation = start(request)) {
            while (generation.hasNext()) {
                GeneratedToken token = generation.next();
                listener.onToken(token.id(), token.text());
            }
            return generation.result();
        }
    }

    /**
     * Starts a generation to pull tokens from. Starting another one abandons this one (it ends as
     * {@link FinishReason#CANCELLED}).
     */
    public Generation start(GenerationRequest request) {
        return begin(request, model.encode(request), false);
    }

    /** Stops the running generation, if any, before its next token. Safe from any thread. */
    public void cancel() {
        Generation g = current;
        if (g != null) {
            g.cancel();
        }
    }

    /** Empties the cache (the next generation runs its whole prompt). */
    public void reset() {
        requireOpen();
        model.guarded(() -> {
            state.truncate(0);
            return null;
        });
    }

    /**
     * Bytes of KV cache the session held after its last model pass (after any eviction), or -1 when the
     * backend does not report it.
     */
    public long kvBytes() {
        return kvBytes;
    }

    /** Frees the cache; the session cannot be used afterwards. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        cancel();
        model.closeSession(this);
    }

    /** Checks the prompt fits, abandons the previous generation and starts a new one. */
    Generation begin(GenerationRequest request, int[] promptTokens, boolean ownsSession) {
        requireOpen();
        if (promptTokens.length == 0) {
            throw new FlashjException("the prompt is empty and the tokenizer adds no BOS: nothing to run");
        }
        if (promptTokens.length > contextLength()) {
            throw new FlashjException("the prompt has " + promptTokens.length + " tokens but the context holds "
                    + contextLength());
        }
        Generation previous = current;
        if (previous != null) {
            previous.close();
        }
        Generation g = new Generation(this, ownsSession, promptTokens, request);
        current = g;
        return g;
    }

    /** The prompt pass: keeps the cached prefix the prompt shares, runs the rest as one batch. */
    Prefill prefill(int[] prompt) {
        requireOpen();
        return model.guarded(() -> {
            int position = state.position();
            int shared = 0;
            while (shared < position && shared < prompt.length && cached[shared] == prompt[shared]) {
                shared++;
            }
            if (shared == prompt.length) {
                shared--; // the last prompt token must run again: its logits are needed
            }
            state.truncate(shared);
            int count = prompt.length - shared;
            float[] logits = state.feed(prompt, shared, count);
            kvBytes = state.kvBytes();
            System.arraycopy(prompt, shared, cached, shared, count);
            return new Prefill(logits, count);
        });
    }

    /** Runs the tokens after the cached ones and returns the logits of the last. */
    float[] feed(int[] tokens) {
        requireOpen();
        return model.guarded(() -> {
            int position = state.position();
            float[] logits = state.feed(tokens, 0, tokens.length);
            kvBytes = state.kvBytes();
            System.arraycopy(tokens, 0, cached, position, tokens.length);
            return logits;
        });
    }

    void generationEnded(Generation g) {
        if (current == g) {
            current = null;
        }
    }

    /** After a failure the cache content is unknown: start over next time. */
    void forgetCache() {
        if (!closed && !model.isClosed()) {
            try {
                reset();
            } catch (FlashjException ignored) {
                // the model closed meanwhile: nothing to keep consistent
            }
        }
    }

    /** Called by the model, under its lock, to release the native state. */
    void release() {
        closed = true;
        state.close();
    }

    private void requireOpen() {
        if (closed) {
            throw new FlashjException("this session is closed");
        }
        model.requireOpen();
    }

    /** Logits after the prompt and how many prompt tokens were actually run. */
    record Prefill(float[] logits, int evaluated) {
    }

    @Override
    public String toString() {
        return "Session[" + cachedTokens() + "/" + contextLength() + " tokens cached, first ids "
                + Arrays.toString(Arrays.copyOf(cached, Math.min(8, cachedTokens()))) + "]";
    }
}
