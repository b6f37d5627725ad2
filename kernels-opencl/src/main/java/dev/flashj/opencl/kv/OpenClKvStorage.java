package dev.flashj.opencl.kv;

import dev.flashj.FlashjException;
import dev.flashj.kv.KvLayout;
import dev.flashj.kv.KvStorage;
import dev.flashj.opencl.kernels.PagedKvOps;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClQueue;

import java.util.Arrays;

/**
 * KV blocks in device memory: one buffer of keys and one of values holding every block of the pool as
 * rows ({@code [capacity * blockSize, kvHeads, headDim]} f32), allocated up front. Sessions' kernels read
 * and write them directly; the pool's own operations (copy-on-write copies, compaction moves, host
 * reads and writes) run on this storage's queue and complete before they return, so that a session's
 * queue never races them. Thread-safe.
 */
public final class OpenClKvStorage implements KvStorage {
    private final KvLayout layout;
    private final int capacity;
    private final ClContext context;
    private final ClQueue queue;
    private final PagedKvOps ops;
    private final ClBuffer keys;
    private final ClBuffer values;
    private ClBuffer moves;
    private ClBuffer keyScratch;
    private ClBuffer valueScratch;
    private int moveCapacity;
    private boolean closed;

    /**
     * @throws FlashjException when the keys of {@code capacityBlocks} blocks exceed the device's largest
     *                         buffer (lower the KV budget) or cannot be allocated
     */
    public OpenClKvStorage(ClContext context, KvLayout layout, int capacityBlocks) {
        this.layout = layout;
        this.capacity = capacityBlocks;
        this.context = context;
        long bytes = (long) capacityBlocks * layout.floatsPerBlock() * Float.BYTES;
        if (bytes > context.device().maxAllocSize()) {
            throw new FlashjException("KV budget: " + capacityBlocks + " blocks need " + (bytes >> 20)
                    + " MiB of keys in one buffer, over the " + (context.device().maxAllocSize() >> 20) + " MiB "
                    + context.device().describe() + " allows; lower the KV budget");
        }
        ClQueue q = context.createQueue();
        PagedKvOps o = null;
        ClBuffer k = null;
        try {
            o = new PagedKvOps(context, q, layout.headDim());
            k = context.createBuffer(bytes, "KV pool keys (" + capacityBlocks + " blocks)");
            this.values = context.createBuffer(bytes, "KV pool values (" + capacityBlocks + " blocks)");
        } catch (RuntimeException e) {
            if (k != null) {
                k.close();
            }
            if (o != null) {
                o.close();
            }
            q.close();
            throw e;
        }
        this.queue = q;
        this.ops = o;
        this.keys = k;
    }

    public KvLayout layout() {
        return layout;
    }

    /** Keys of every block, {@code [capacity * blockSize, kvHeads, headDim]} f32. */
    public ClBuffer keys() {
        return keys;
    }

    /** Values of every block, laid out like {@link #keys}. */
    public ClBuffer values() {
        return values;
    }

    @Override
    public void ensureBlocks(int blocks) {
        if (blocks > capacity) {
            throw new IllegalStateException(blocks + " KV blocks exceed the storage's " + capacity);
        }
    }

    @Override
    public long allocatedBytes() {
        return 2L * capacity * layout.floatsPerBlock() * Float.BYTES;
    }

    private long rowByte(int id, int slot) {
        return ((long) id * layout.blockSize() + slot) * layout.kvDim() * Float.BYTES;
    }

    @Override
    public synchronized void write(int id, int slot, float[] k, float[] v, int offset, int count) {
        ensureOpen();
        int n = count * layout.kvDim();
        long at = rowByte(id, slot) / Float.BYTES;
        queue.writeFloats(keys, at, Arrays.copyOfRange(k, offset, offset + n));
        queue.writeFloats(values, at, Arrays.copyOfRange(v, offset, offset + n));
    }

    @Override
    public synchronized void read(int id, int slot, float[] k, float[] v, int offset, int count) {
        ensureOpen();
        int n = count * layout.kvDim();
        long at = rowByte(id, slot) / Float.BYTES;
        System.arraycopy(queue.readFloats(keys, at, n), 0, k, offset, n);
        System.arraycopy(queue.readFloats(values, at, n), 0, v, offset, n);
    }

    @Override
    public synchronized void copyEntries(int from, int to, int entries) {
        ensureOpen();
        if (entries <= 0) {
            return;
        }
        long bytes = (long) entries * layout.kvDim() * Float.BYTES;
        queue.copy(keys, rowByte(from, 0), keys, rowByte(to, 0), bytes);
        queue.copy(values, rowByte(from, 0), values, rowByte(to, 0), bytes);
        queue.finish();
    }

    @Override
    public synchronized void moveHeads(int[] srcRows, int[] dstRows, int[] heads, int count) {
        ensureOpen();
        if (count <= 0) {
            return;
        }
        if (count > moveCapacity) {
            growMoves(Math.max(count, 2 * moveCapacity));
        }
        int[] packed = new int[3 * moveCapacity];
        System.arraycopy(srcRows, 0, packed, 0, count);
        System.arraycopy(dstRows, 0, packed, count, count);
        System.arraycopy(heads, 0, packed, 2 * count, count);
        queue.writeInts(moves, 0, packed);
        ops.moveHeads(keys, values, moves, count, layout.numKvHeads(), layout.headDim(), keyScratch, valueScratch);
        queue.finish();
    }

    private void growMoves(int n) {
        closeMoveBuffers();
        moveCapacity = n;
        moves = context.createBuffer(12L * n, "KV compaction moves");
        keyScratch = context.createBuffer(4L * n * layout.headDim(), "KV compaction key scratch");
        valueScratch = context.createBuffer(4L * n * layout.headDim(), "KV compaction value scratch");
    }

    private void closeMoveBuffers() {
        for (ClBuffer b : new ClBuffer[]{moves, keyScratch, valueScratch}) {
            if (b != null) {
                b.close();
            }
        }
        moves = keyScratch = valueScratch = null;
        moveCapacity = 0;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the OpenCL KV storage is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.finish();
        closeMoveBuffers();
        keys.close();
        values.close();
        ops.close();
        queue.close();
    }
}
