package dev.flashj.kv;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Owns every KV block of a model: reference counts, the free-block queues, the prefix cache and the
 * {@link KvStorage} holding their floats (host arrays by default, or device memory). Blocks are handed
 * out by id; with host storage {@link #keys}/{@link #values} and {@link #offset} locate a block's
 * {@code [blockSize, kvHeads, headDim]} keys and values.
 *
 * <p>Free blocks wait in two queues: never-published ones, reused first, and published ones, kept
 * in least-recently-freed order so that a later sequence with the same prefix can revive them; they
 * are recycled (and forgotten by the prefix cache) only when nothing else is left.
 *
 * <p>Thread-safe: bookkeeping is synchronized. The floats of a block are written only by the one
 * sequence that holds it while it is writable ({@link #writable}); published blocks are read-only.
 * Running out of blocks is an {@link Allocation.OutOfBlocks} result; a broken invariant (releasing a
 * free block, say) throws {@link IllegalStateException}.
 */
public final class BlockPool implements AutoCloseable {
    private final KvLayout layout;
    private final int capacity;
    private final KvStorage storage;
    private final List<KvBlock> blocks = new ArrayList<>();
    private final ArrayDeque<KvBlock> freeClean = new ArrayDeque<>();
    private final LinkedHashSet<KvBlock> freePublished = new LinkedHashSet<>();
    private final Map<PrefixKey, KvBlock> published = new HashMap<>();

    private record PrefixKey(long hash, int layer) {
    }

    /** A pool whose blocks live in host arrays ({@link CpuKvStorage}). */
    public BlockPool(KvLayout layout, KvBudget budget) {
        this(layout, budget.blocks(layout), capacity -> new CpuKvStorage(layout, capacity));
    }

    /**
     * A pool of {@code capacityBlocks} blocks whose floats live in the storage {@code storage} makes for
     * that capacity (the pool owns it: see {@link #close}).
     */
    public BlockPool(KvLayout layout, int capacityBlocks, IntFunction<KvStorage> storage) {
        if (capacityBlocks < 1) {
            throw new IllegalArgumentException("a KV pool needs at least one block, got " + capacityBlocks);
        }
        this.layout = layout;
        this.capacity = capacityBlocks;
        this.storage = storage.apply(capacityBlocks);
    }

    /** Where the blocks' keys and values live. */
    public KvStorage storage() {
        return storage;
    }

    public KvLayout layout() {
        return layout;
    }

    /** Blocks the budget allows. */
    public int capacityBlocks() {
        return capacity;
    }

    /** Blocks that can be allocated now (including published blocks nobody holds). */
    public synchronized int freeBlocks() {
        return freeClean.size() + freePublished.size() + (capacity - blocks.size());
    }

    /** Blocks held by at least one sequence. */
    public synchronized int usedBlocks() {
        return capacity - freeBlocks();
    }

    /** Bytes of the blocks held by sequences. */
    public long usedBytes() {
        return usedBlocks() * layout.bytesPerBlock();
    }

    /** Bytes of storage allocated so far (storage is allocated lazily and then kept). */
    public long allocatedBytes() {
        return storage.allocatedBytes();
    }

    /** Published blocks nobody holds, kept for prefix sharing. */
    public synchronized int cachedBlocks() {
        return freePublished.size();
    }

    /**
     * Takes {@code n} blocks, each with one reference, writing their ids to {@code out[outOffset ..]};
     * all or nothing.
     */
    public synchronized Allocation allocate(int n, int[] out, int outOffset) {
        if (n < 0) {
            throw new IllegalArgumentException("cannot allocate " + n + " blocks");
        }
        int free = freeBlocks();
        if (n > free) {
            return new Allocation.OutOfBlocks(n, free);
        }
        for (int i = 0; i < n; i++) {
            KvBlock b = takeFree();
            b.refCount(1);
            out[outOffset + i] = b.id();
        }
        return new Allocation.Granted(n);
    }

    private KvBlock takeFree() {
        KvBlock b = freeClean.pollFirst();
        if (b != null) {
            return b;
        }
        if (blocks.size() < capacity) {
            return createBlock();
        }
        Iterator<KvBlock> oldest = freePublished.iterator();
        b = oldest.next();
        oldest.remove();
        published.remove(new PrefixKey(b.hash(), b.layer()));
        b.unpublish();
        return b;
    }

    private KvBlock createBlock() {
        int id = blocks.size();
        storage.ensureBlocks(id + 1);
        KvBlock b = new KvBlock(id);
        blocks.add(b);
        return b;
    }

    private KvBlock held(int id) {
        if (id < 0 || id >= blocks.size()) {
            throw new IllegalStateException("no KV block " + id + " (" + blocks.size() + " exist)");
        }
        KvBlock b = blocks.get(id);
        if (b.refCount() <= 0) {
            throw new IllegalStateException(b + " is free");
        }
        return b;
    }

    /** Adds a reference to a held block (a second table sharing it). */
    public synchronized void retain(int id) {
        KvBlock b = held(id);
        b.refCount(b.refCount() + 1);
    }

    /** Drops a reference; the last one returns the block to a free queue. */
    public synchronized void release(int id) {
        KvBlock b = held(id);
        b.refCount(b.refCount() - 1);
        if (b.refCount() == 0) {
            if (b.published()) {
                freePublished.add(b);
            } else {
                freeClean.addLast(b);
            }
        }
    }

    public synchronized int refCount(int id) {
        if (id < 0 || id >= blocks.size()) {
            throw new IllegalStateException("no KV block " + id);
        }
        return blocks.get(id).refCount();
    }

    /** Whether the one holder of {@code id} may write it: a single reference and not published. */
    public synchronized boolean writable(int id) {
        KvBlock b = held(id);
        return b.refCount() == 1 && !b.published();
    }

    /**
     * Publishes a full block for prefix sharing under {@code hash} (see {@link ChainHash}) for {@code
     * layer}; from then on it is read-only. Returns false, changing nothing, when another block already
     * holds that prefix.
     */
    public synchronized boolean publish(int id, long hash, long parentHash, int layer, int[] tokens, int from) {
        KvBlock b = held(id);
        if (b.published()) {
            throw new IllegalStateException(b + " is already published");
        }
        PrefixKey key = new PrefixKey(hash, layer);
        if (published.containsKey(key)) {
            return false;
        }
        int[] copy = new int[layout.blockSize()];
        System.arraycopy(tokens, from, copy, 0, copy.length);
        b.publish(hash, parentHash, layer, copy);
        published.put(key, b);
        return true;
    }

    /**
     * The published block of {@code layer} for the prefix ending with {@code tokens[from .. from+blockSize)},
     * with a new reference taken, or -1.
     */
    public synchronized int lookup(long hash, long parentHash, int layer, int[] tokens, int from) {
        KvBlock b = published.get(new PrefixKey(hash, layer));
        if (b == null || !b.holds(parentHash, layer, tokens, from)) {
            return -1;
        }
        if (b.refCount() == 0) {
            freePublished.remove(b);
        }
        b.refCount(b.refCount() + 1);
        return b.id();
    }

    /** Forgets every published block nobody holds (they become plain free blocks). */
    public synchronized void dropCachedPrefixes() {
        for (KvBlock b : freePublished) {
            published.remove(new PrefixKey(b.hash(), b.layer()));
            b.unpublish();
            freeClean.addLast(b);
        }
        freePublished.clear();
    }

    private CpuKvStorage hostStorage() {
        if (storage instanceof CpuKvStorage cpu) {
            return cpu;
        }
        throw new IllegalStateException("the KV blocks live in " + storage.getClass().getSimpleName()
                + ", not in host arrays");
    }

    /** The array holding the keys of block {@code id}, from {@link #offset} (host storage only). */
    public float[] keys(int id) {
        return hostStorage().keys(id);
    }

    /** The array holding the values of block {@code id}, from {@link #offset} (host storage only). */
    public float[] values(int id) {
        return hostStorage().values(id);
    }

    /** Where block {@code id} starts in its {@link #keys}/{@link #values} array (host storage only). */
    public int offset(int id) {
        return hostStorage().offset(id);
    }

    /** Copies the first {@code entries} tokens of keys and values of block {@code from} to block {@code to}. */
    void copyEntries(int from, int to, int entries) {
        storage.copyEntries(from, to, entries);
    }

    /** Frees the storage; every sequence must be closed first. */
    @Override
    public void close() {
        storage.close();
    }
}
