package dev.flashj.api;

import dev.flashj.FlashjException;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelSession;
import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import dev.flashj.tokenizer.Tokenizer;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test fixture: a deterministic "model" whose logits come from a formula. After {@code p} tokens
 * have been fed, the most likely next token is {@code script[p % script.length]} (logit 10); the
 * others fall off with their distance from it (so sampling with a temperature has choices).
 * It records every feed so tests can check batching, and fails loudly when fed after closing.
 */
final class ScriptedLanguageModel implements LanguageModel {
    private final int[] script;
    private final Tokenizer tokenizer;
    private final LlamaConfig config;
    private final long feedDelayMillis;
    final List<Integer> feedSizes = new CopyOnWriteArrayList<>();
    final AtomicBoolean usedAfterClose = new AtomicBoolean();
    final AtomicInteger openSessions = new AtomicInteger();
    private volatile boolean closed;

    ScriptedLanguageModel(int[] script, boolean addBos, int contextLength, long feedDelayMillis) {
        this.script = script.clone();
        this.tokenizer = new CharTokenizer(addBos);
        this.config = new LlamaConfig(8, 16, 1, 2, 2, 4, CharTokenizer.VOCAB, contextLength, 1e-5f,
                new RopeConfig(10000f, new RopeScaling.None(), RopeStyle.INTERLEAVED, 4), true, false);
        this.feedDelayMillis = feedDelayMillis;
    }

    /** A model that "writes" {@code text} (by position, BOS at position 0 included in the count). */
    static ScriptedLanguageModel writing(String text, boolean addBos, int contextLength) {
        return new ScriptedLanguageModel(CharTokenizer.ids(text), addBos, contextLength, 0);
    }

    float[] logitsAt(int position) {
        float[] logits = new float[CharTokenizer.VOCAB];
        int target = script[position % script.length];
        for (int i = 0; i < logits.length; i++) {
            int distance = Math.floorMod(i - target, logits.length);
            logits[i] = i == target ? 10f : -0.25f * distance;
        }
        return logits;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public String deviceDescription() {
        return "fixture (formula logits)";
    }

    @Override
    public ModelSession newSession(int maxTokens) {
        if (maxTokens < 1 || maxTokens > config.contextLength()) {
            throw new FlashjException("maxTokens " + maxTokens + " out of range");
        }
        openSessions.incrementAndGet();
        return new ModelSession() {
            private int position;
            private boolean sessionClosed;

            @Override
            public int position() {
                return position;
            }

            @Override
            public int maxTokens() {
                return maxTokens;
            }

            @Override
            public float[] feed(int[] tokens, int offset, int count) {
                if (closed || sessionClosed) {
                    usedAfterClose.set(true);
                    throw new IllegalStateException("fed after close");
                }
                if (count < 1 || position + count > maxTokens) {
                    throw new FlashjException("feed of " + count + " at " + position + " exceeds " + maxTokens);
                }
                for (int i = offset; i < offset + count; i++) {
                    if (tokens[i] < 0 || tokens[i] >= CharTokenizer.VOCAB) {
                        throw new FlashjException("token id " + tokens[i] + " out of range");
                    }
                }
                if (feedDelayMillis > 0) {
                    try {
                        Thread.sleep(feedDelayMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                feedSizes.add(count);
                position += count;
                return logitsAt(position);
            }

            @Override
            public void truncate(int newPosition) {
                if (newPosition < 0 || newPosition > position) {
                    throw new FlashjException("truncate to " + newPosition + " from " + position);
                }
                position = newPosition;
            }

            @Override
            public void close() {
                if (!sessionClosed) {
                    sessionClosed = true;
                    openSessions.decrementAndGet();
                }
            }
        };
    }

    @Override
    public void close() {
        closed = true;
    }
}
