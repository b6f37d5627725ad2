package dev.flashj.kv;

/**
 * KV blocks in float32 arrays on the heap, allocated lazily chunk by chunk up to the pool's capacity,
 * so that no single array grows with the budget. {@link #keys}/{@link #values} with {@link #offset}
 * give the CPU kernels direct access to a block's floats.
 */
public final class CpuKvStorage implements KvStorage {
    /** Floats per storage chunk (4 MiB). */
    private static final int CHUNK_FLOATS = 1 << 20;

    private final KvLayout layout;
    private final int capacity;
    private final int blocksPerChunk;
    private final float[][] keyChunks;
    private final float[][] valueChunks;

    public CpuKvStorage(KvLayout layout, int capacityBlocks) {
        this.layout = layout;
        this.capacity = capacityBlocks;
        this.blocksPerChunk = Math.max(1, Math.min(capacityBlocks, CHUNK_FLOATS / layout.floatsPerBlock()));
        int chunks = (int) ((capacityBlocks + (long) blocksPerChunk - 1) / blocksPerChunk);
        this.keyChunks = new float[chunks][];
        this.valueChunks = new float[chunks][];
    }

    @Override
    public synchronized void ensureBlocks(int blocks) {
        if (blocks > capacity) {
            throw new IllegalStateException(blocks + " KV blocks exceed the storage's " + capacity);
        }
        for (int chunk = 0; chunk * blocksPerChunk < blocks; chunk++) {
            if (keyChunks[chunk] == null) {
                int chunkBlocks = Math.min(blocksPerChunk, capacity - chunk * blocksPerChunk);
                keyChunks[chunk] = new float[chunkBlocks * layout.floatsPerBlock()];
                valueChunks[chunk] = new float[chunkBlocks * layout.floatsPerBlock()];
            }
        }
    }

    @Override
    public synchronized long allocatedBytes() {
        long floats = 0;
        for (float[] chunk : keyChunks) {
            floats += chunk == null ? 0 : chunk.length;
        }
        return 2 * floats * Float.BYTES;
    }

    /** The array holding the keys of block {@code id}, from {@link #offset}. */
    public float[] keys(int id) {
        return keyChunks[id / blocksPerChunk];
    }

    /** The array holding the values of block {@code id}, from {@link #offset}. */
    public float[] values(int id) {
        return valueChunks[id / blocksPerChunk];
    }

    /** Where block {@code id} starts in its {@link #keys}/{@link #values} array. */
    public int offset(int id) {
        return (id % blocksPerChunk) * layout.floatsPerBlock();
    }

    @Override
    public void write(int id, int slot, float[] k, float[] v, int offset, int count) {
        int dst = offset(id) + slot * layout.kvDim();
        System.arraycopy(k, offset, keys(id), dst, count * layout.kvDim());
        System.arraycopy(v, offset, values(id), dst, count * layout.kvDim());
    }

    @Override
    public void read(int id, int slot, float[] k, float[] v, int offset, int count) {
        int src = offset(id) + slot * layout.kvDim();
        System.arraycopy(keys(id), src, k, offset, count * layout.kvDim());
        System.arraycopy(values(id), src, v, offset, count * layout.kvDim());
    }

    @Override
    public void copyEntries(int from, int to, int entries) {
        int n = entries * layout.kvDim();
        System.arraycopy(keys(from), offset(from), keys(to), offset(to), n);
        System.arraycopy(values(from), offset(from), values(to), offset(to), n);
    }

    @Override
    public void moveHeads(int[] srcRows, int[] dstRows, int[] heads, int count) {
        int bs = layout.blockSize();
        int headDim = layout.headDim();
        int kvDim = layout.kvDim();
        for (int i = 0; i < count; i++) {
            int src = srcRows[i];
            int dst = dstRows[i];
            int so = offset(src / bs) + (src % bs) * kvDim + heads[i] * headDim;
            int dOff = offset(dst / bs) + (dst % bs) * kvDim + heads[i] * headDim;
            System.arraycopy(keys(src / bs), so, keys(dst / bs), dOff, headDim);
            System.arraycopy(values(src / bs), so, values(dst / bs), dOff, headDim);
        }
    }

    @Override
    public void close() {
        // Heap arrays: nothing to release.
    }
}
