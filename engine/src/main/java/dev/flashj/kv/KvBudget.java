package dev.flashj.kv;

import dev.flashj.FlashjException;

/**
 * How much memory a {@link BlockPool} may hold, as a number of blocks: set in bytes, in tokens (per
 * layer: one token of every layer costs {@code numLayers} block slots), or as a fraction of the memory
 * the JVM can still allocate.
 */
public sealed interface KvBudget {

    /** The number of blocks this budget allows for {@code layout} (at least 1). */
    int blocks(KvLayout layout);

    static KvBudget bytes(long bytes) {
        return new Bytes(bytes);
    }

    static KvBudget tokens(long tokens) {
        return new Tokens(tokens);
    }

    static KvBudget fractionOfFreeHeap(double fraction) {
        return new FractionOfFreeHeap(fraction);
    }

    /** At most {@code bytes} of keys and values. */
    record Bytes(long bytes) implements KvBudget {
        public Bytes {
            if (bytes <= 0) {
                throw new FlashjException("KV budget: bytes must be positive, got " + bytes);
            }
        }

        @Override
        public int blocks(KvLayout layout) {
            return (int) Math.max(1, Math.min(Integer.MAX_VALUE, bytes / layout.bytesPerBlock()));
        }
    }

    /** Room for {@code tokens} tokens in every layer (summed over sequences). */
    record Tokens(long tokens) implements KvBudget {
        public Tokens {
            if (tokens <= 0) {
                throw new FlashjException("KV budget: tokens must be positive, got " + tokens);
            }
        }

        @Override
        public int blocks(KvLayout layout) {
            return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (long) layout.blocksFor(tokens) * layout.numLayers()));
        }
    }

    /** A fraction of the heap the JVM could still allocate when the pool is made. */
    record FractionOfFreeHeap(double fraction) implements KvBudget {
        public FractionOfFreeHeap {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new FlashjException("KV budget: fraction must be in (0, 1], got " + fraction);
            }
        }

        @Override
        public int blocks(KvLayout layout) {
            Runtime rt = Runtime.getRuntime();
            long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
            return new Bytes(Math.max(1, (long) (free * fraction))).blocks(layout);
        }
    }
}
