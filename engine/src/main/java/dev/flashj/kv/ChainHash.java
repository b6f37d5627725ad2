package dev.flashj.kv;

/**
 * The prefix-sharing key of a full block: a 64-bit hash of its tokens chained with the hash of the
 * block before it, so equal keys mean equal whole prefixes (blocks also keep their tokens and parent
 * hash, so a hash collision is detected, not trusted).
 */
public final class ChainHash {
    /** The parent hash of a sequence's first block. */
    public static final long ROOT = 0x6a09e667f3bcc909L;

    private ChainHash() {
    }

    /** Hash of the block {@code tokens[from .. from+count)} following a block whose hash is {@code parent}. */
    public static long next(long parent, int[] tokens, int from, int count) {
        long h = mix(parent ^ 0x9e3779b97f4a7c15L * (count + 1L));
        for (int i = 0; i < count; i++) {
            h = mix(h + 0x9e3779b97f4a7c15L + (tokens[from + i] & 0xffffffffL));
        }
        return h;
    }

    // SplitMix64's finalizer: a bijective mix with good avalanche.
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
