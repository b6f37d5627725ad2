package dev.flashj.kv;

/**
 * One block of a {@link BlockPool}: its id (its place in the pool's storage), how many block tables
 * hold it, and, once it is full of prompt tokens and published for prefix sharing, its chain hash with
 * the tokens and parent hash that produced it. A published block is immutable; all state changes go
 * through the pool, under its lock.
 */
public final class KvBlock {
    private final int id;
    private int refCount;
    private boolean published;
    private long hash;
    private long parentHash;
    private int layer;
    private int[] tokens;

    KvBlock(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    int refCount() {
        return refCount;
    }

    void refCount(int n) {
        refCount = n;
    }

    boolean published() {
        return published;
    }

    long hash() {
        return hash;
    }

    int layer() {
        return layer;
    }

    void publish(long hash, long parentHash, int layer, int[] tokens) {
        this.published = true;
        this.hash = hash;
        this.parentHash = parentHash;
        this.layer = layer;
        this.tokens = tokens;
    }

    void unpublish() {
        published = false;
        tokens = null;
    }

    /** Whether this block was published for exactly this prefix (guards against hash collisions). */
    boolean holds(long parentHash, int layer, int[] source, int from) {
        if (!published || this.parentHash != parentHash || this.layer != layer) {
            return false;
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] != source[from + i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "KvBlock[" + id + ", refs " + refCount + (published ? ", published" : "") + "]";
    }
}
