package dev.flashj.model;

import dev.flashj.kv.Allocation;
import dev.flashj.kv.BlockPool;

import java.util.List;

/**
 * Decodes one token for each of many sequences of one {@link LanguageModel} in a single pass: every
 * weight matrix is read once per step for the whole batch, while attention runs per sequence over its
 * own KV cache. A sequence's logits are exactly those it would get decoding alone, so batching never
 * changes what a request generates. The sequences share the model's KV budget, counted in blocks;
 * running out is an {@link Allocation.OutOfBlocks} result for the caller to act on (queue or preempt).
 * Not thread-safe: one decoder per scheduler.
 */
public interface BatchDecoder {

    /** The most sequences one {@link #decode} takes. */
    int maxBatch();

    /** The block pool the batch's sequences share (the model's). */
    BlockPool pool();

    /** KV blocks the shared budget allows in all. */
    default int capacityBlocks() {
        return pool().capacityBlocks();
    }

    /** KV blocks free now (cached prefix blocks nobody holds included). */
    default int freeBlocks() {
        return pool().freeBlocks();
    }

    /** KV blocks a sequence of {@code tokens} tokens holds, all layers together, without prefix sharing. */
    default int blocksFor(int tokens) {
        return pool().layout().blocksFor(tokens) * pool().layout().numLayers();
    }

    /**
     * Makes room in {@code session}'s KV cache for {@code tokens} more tokens (all or nothing). The
     * session must have been made by this decoder's model.
     */
    Allocation reserve(ModelSession session, int tokens);

    /**
     * Feeds {@code tokens[i]} to {@code sessions.get(i)} at its position, all in one pass, and writes
     * that sequence's logits to {@code logits[i]} (each at least vocabulary-sized). Room for the token
     * must have been {@linkplain #reserve reserved}; a missing reservation is a bug and throws
     * {@link IllegalStateException}.
     */
    void decode(List<? extends ModelSession> sessions, int[] tokens, float[][] logits);
}
