package dev.flashj.kv;

/**
 * The paged KV cache of one sequence: one {@link BlockTable} per layer over a shared {@link BlockPool}.
 * It reserves room before a forward step ({@link #reserve}), appends keys and values, attaches
 * published prefix blocks, truncates, forks (sharing every block) and compacts a layer down to the
 * entries an eviction policy keeps. A block held by anyone else, or published, is copied before it is
 * written (copy-on-write). Not thread-safe: one thread drives a sequence.
 */
public final class PagedSequence implements AutoCloseable {
    private final BlockPool pool;
    private final KvLayout layout;
    private final BlockTable[] tables;
    private int[] scratch = new int[8];
    private boolean closed;

    public PagedSequence(BlockPool pool) {
        this.pool = pool;
        this.layout = pool.layout();
        this.tables = new BlockTable[layout.numLayers()];
        for (int l = 0; l < tables.length; l++) {
            tables[l] = new BlockTable();
        }
    }

    public BlockPool pool() {
        return pool;
    }

    public BlockTable table(int layer) {
        return tables[layer];
    }

    public int entries(int layer) {
        return tables[layer].entries();
    }

    /** Blocks held over all layers (shared ones counted once per holder). */
    public int blocks() {
        int n = 0;
        for (BlockTable t : tables) {
            n += t.blockCount();
        }
        return n;
    }

    /** Bytes of the blocks this sequence holds, keys and values of all layers. */
    public long bytes() {
        return blocks() * layout.bytesPerBlock();
    }

    private int[] scratch(int n) {
        if (scratch.length < n) {
            scratch = new int[Math.max(n, scratch.length * 2)];
        }
        return scratch;
    }

    /**
     * Makes room for {@code count} more entries in every layer: new blocks where needed, and a private
     * copy of a partly filled last block that is shared. All or nothing.
     */
    public Allocation reserve(int count) {
        ensureOpen();
        int bs = layout.blockSize();
        int needed = 0;
        for (BlockTable t : tables) {
            needed += Math.max(0, layout.blocksFor((long) t.entries() + count) - t.blockCount());
            if (needsCopyBeforeAppend(t)) {
                needed++;
            }
        }
        int[] ids = scratch(needed);
        Allocation a = pool.allocate(needed, ids, 0);
        if (!a.granted()) {
            return a;
        }
        int next = 0;
        for (BlockTable t : tables) {
            if (needsCopyBeforeAppend(t)) {
                int index = t.entries() / bs;
                int old = t.block(index);
                pool.copyEntries(old, ids[next], t.entries() % bs);
                t.set(index, ids[next++]);
                pool.release(old);
            }
            int more = Math.max(0, layout.blocksFor((long) t.entries() + count) - t.blockCount());
            for (int i = 0; i < more; i++) {
                t.add(ids[next++]);
            }
        }
        if (next != needed) {
            throw new IllegalStateException("reserved " + needed + " blocks, placed " + next);
        }
        return a;
    }

    private boolean needsCopyBeforeAppend(BlockTable t) {
        int bs = layout.blockSize();
        int index = t.entries() / bs;
        return t.entries() % bs != 0 && index < t.blockCount() && !pool.writable(t.block(index));
    }

    /**
     * Appends {@code count} entries to {@code layer}: keys from {@code k[kOffset + i*kvDim ..]}, values
     * likewise from {@code v}. The room must have been {@linkplain #reserve reserved}.
     */
    public void append(int layer, float[] k, float[] v, int offset, int count) {
        ensureOpen();
        BlockTable t = tables[layer];
        int bs = layout.blockSize();
        int kvDim = layout.kvDim();
        checkRoom(layer, t, count);
        for (int i = 0; i < count; ) {
            int entry = t.entries() + i;
            int slot = entry % bs;
            int run = Math.min(count - i, bs - slot);
            pool.storage().write(t.block(entry / bs), slot, k, v, offset + i * kvDim, run);
            i += run;
        }
        t.entries(t.entries() + count);
    }

    /**
     * Writes to {@code rows[offset ..]} the storage rows ({@code blockId * blockSize + slot}) that the next
     * {@code count} entries of {@code layer} go to, for a device that writes them itself; the room must
     * have been {@linkplain #reserve reserved}. {@link #commitAppended} then counts them.
     */
    public void appendRows(int layer, int count, int[] rows, int offset) {
        ensureOpen();
        BlockTable t = tables[layer];
        int bs = layout.blockSize();
        checkRoom(layer, t, count);
        for (int i = 0; i < count; i++) {
            int entry = t.entries() + i;
            rows[offset + i] = t.block(entry / bs) * bs + entry % bs;
        }
    }

    /** Counts {@code count} entries written to the rows {@link #appendRows} gave as appended to {@code layer}. */
    public void commitAppended(int layer, int count) {
        ensureOpen();
        BlockTable t = tables[layer];
        checkRoom(layer, t, count);
        t.entries(t.entries() + count);
    }

    private void checkRoom(int layer, BlockTable t, int count) {
        if (layout.blocksFor((long) t.entries() + count) > t.blockCount()) {
            throw new IllegalStateException("layer " + layer + ": appending " + count + " entries to " + t.entries()
                    + " without reserved room (" + t.blockCount() + " blocks)");
        }
    }

    /** Appends a published full block (looked up in the pool, reference already taken) to {@code layer}. */
    public void attachShared(int layer, int blockId) {
        ensureOpen();
        BlockTable t = tables[layer];
        int bs = layout.blockSize();
        if (t.entries() % bs != 0 || t.blockCount() != t.entries() / bs) {
            throw new IllegalStateException("layer " + layer + ": a shared block can only follow whole blocks ("
                    + t.entries() + " entries in " + t.blockCount() + " blocks)");
        }
        t.add(blockId);
        t.entries(t.entries() + bs);
    }

    /** Keeps the first {@code entries} entries of every layer, releasing the blocks past them. */
    public void truncate(int entries) {
        for (int l = 0; l < tables.length; l++) {
            truncate(l, entries);
        }
    }

    /** Keeps the first {@code entries} entries of {@code layer}, releasing the blocks past them. */
    public void truncate(int layer, int entries) {
        ensureOpen();
        BlockTable t = tables[layer];
        if (entries < 0 || entries > t.entries()) {
            throw new IllegalStateException("layer " + layer + ": cannot truncate " + t.entries() + " entries to " + entries);
        }
        int keepBlocks = layout.blocksFor(entries);
        while (t.blockCount() > keepBlocks) {
            pool.release(t.removeLast());
        }
        t.entries(entries);
    }

    /** A new sequence sharing every block of this one (copy-on-write on either side). */
    public PagedSequence fork() {
        ensureOpen();
        PagedSequence copy = new PagedSequence(pool);
        for (int l = 0; l < tables.length; l++) {
            BlockTable t = tables[l];
            int used = layout.blocksFor(t.entries());
            for (int i = 0; i < used; i++) {
                pool.retain(t.block(i));
                copy.tables[l].add(t.block(i));
            }
            copy.tables[l].entries(t.entries());
        }
        return copy;
    }

    /**
     * Keeps, in {@code layer}, the entries {@code kept[g][0 .. count)} for KV head {@code g} (each list
     * ascending, all of the same length): entry {@code j} of head {@code g} becomes old entry {@code
     * kept[g][j]}. Moves data in place (safe: {@code kept[g][j] >= j}), copying a shared block first,
     * then releases the blocks no longer needed.
     */
    public CompactionResult compact(int layer, int[][] kept, int count) {
        ensureOpen();
        BlockTable t = tables[layer];
        int heads = layout.numKvHeads();
        if (kept.length != heads) {
            throw new IllegalStateException("kept lists for " + kept.length + " heads, layout has " + heads);
        }
        int before = t.entries();
        if (count < 0 || count > before) {
            throw new IllegalStateException("layer " + layer + ": cannot keep " + count + " of " + before + " entries");
        }
        int firstMoved = count;
        for (int[] list : kept) {
            for (int j = 0; j < count; j++) {
                if (list[j] < j || list[j] >= before || (j > 0 && list[j] <= list[j - 1])) {
                    throw new IllegalStateException("layer " + layer + ": kept indices must ascend within [0, "
                            + before + "), entry " + j + " is " + list[j]);
                }
                if (list[j] != j) {
                    firstMoved = Math.min(firstMoved, j);
                }
            }
        }
        long bytesBefore = bytes();
        int bs = layout.blockSize();
        int keepBlocks = layout.blocksFor(count);
        int firstBlock = firstMoved / bs;
        int toCopy = 0;
        for (int b = firstBlock; b < keepBlocks; b++) {
            if (!pool.writable(t.block(b))) {
                toCopy++;
            }
        }
        int[] ids = scratch(toCopy);
        Allocation a = pool.allocate(toCopy, ids, 0);
        if (a instanceof Allocation.OutOfBlocks shortage) {
            return new CompactionResult.NoRoom(shortage);
        }
        int next = 0;
        for (int b = firstBlock; b < keepBlocks; b++) {
            int old = t.block(b);
            if (!pool.writable(old)) {
                pool.copyEntries(old, ids[next], Math.min(bs, before - b * bs));
                t.set(b, ids[next++]);
                pool.release(old);
            }
        }
        int moves = 0;
        for (int j = firstMoved; j < count; j++) {
            for (int g = 0; g < heads; g++) {
                if (kept[g][j] != j) {
                    moves++;
                }
            }
        }
        int[] srcRows = new int[moves];
        int[] dstRows = new int[moves];
        int[] moveHeads = new int[moves];
        int m = 0;
        for (int j = firstMoved; j < count; j++) {
            int dst = t.block(j / bs) * bs + j % bs;
            for (int g = 0; g < heads; g++) {
                int src = kept[g][j];
                if (src != j) {
                    srcRows[m] = t.block(src / bs) * bs + src % bs;
                    dstRows[m] = dst;
                    moveHeads[m++] = g;
                }
            }
        }
        // Sources are at or after their destination, so no move reads a row an earlier one wrote.
        pool.storage().moveHeads(srcRows, dstRows, moveHeads, moves);
        truncate(layer, count);
        return new CompactionResult.Compacted(before, count, bytesBefore, bytes());
    }

    /** Releases every block (idempotent). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (int l = 0; l < tables.length; l++) {
            truncate(l, 0);
        }
        closed = true;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the KV sequence is closed");
        }
    }
}
