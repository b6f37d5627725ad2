package dev.flashj.model;

import dev.flashj.FlashjException;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.tokenizer.Tokenizer;

import java.util.Optional;

/**
 * A loaded, immutable model ready to run: thread-safe, shared by any number of sessions. Each
 * backend (CPU now, GPU backends later) provides one implementation.
 */
public interface LanguageModel extends AutoCloseable {

    LlamaConfig config();

    Tokenizer tokenizer();

    /** Where it runs, for display: "cpu (2 threads, 256-bit vectors)". */
    String deviceDescription();

    /**
     * Starts a sequence with room for {@code maxTokens} positions (prompt plus generated tokens,
     * at most {@link LlamaConfig#contextLength()}). All per-sequence memory is allocated here.
     */
    ModelSession newSession(int maxTokens);

    /**
     * {@link #newSession(int)} with a KV-cache eviction policy. Backends without eviction accept only
     * {@link EvictionPolicy.None}.
     */
    default ModelSession newSession(int maxTokens, EvictionPolicy policy) {
        if (!(policy instanceof EvictionPolicy.None)) {
            throw new FlashjException("the KV policy " + policy + " is not supported on " + deviceDescription()
                    + " (only on the CPU and OpenCL backends for now)");
        }
        return newSession(maxTokens);
    }

    /**
     * A decoder that steps up to {@code maxBatch} sessions of this model together, or empty when the
     * backend decodes one sequence at a time (callers then fall back to sequential generation).
     */
    default Optional<BatchDecoder> newBatchDecoder(int maxBatch) {
        return Optional.empty();
    }

    /** Releases the model; open sessions must not be used afterwards. */
    @Override
    void close();
}
