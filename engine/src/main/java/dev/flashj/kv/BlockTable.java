package dev.flashj.kv;

import java.util.Arrays;

/**
 * One layer of one sequence: the ids of its blocks in order and how many token entries they hold.
 * Entry {@code i} lives in block {@code block(i / blockSize)}, slot {@code i % blockSize}. Blocks past
 * the last entry are reserved room. Mutated only by its {@link PagedSequence}.
 */
public final class BlockTable {
    private int[] ids = new int[4];
    private int blocks;
    private int entries;

    /** Token entries held. */
    public int entries() {
        return entries;
    }

    /** Blocks held, including reserved ones past the last entry. */
    public int blockCount() {
        return blocks;
    }

    public int block(int index) {
        if (index < 0 || index >= blocks) {
            throw new IllegalStateException("block " + index + " of a table of " + blocks);
        }
        return ids[index];
    }

    /** Copies the ids of the blocks that hold entries to {@code out[offset ..]}; returns their count. */
    public int copyUsedBlocks(int blockSize, int[] out, int offset) {
        int used = (entries + blockSize - 1) / blockSize;
        System.arraycopy(ids, 0, out, offset, used);
        return used;
    }

    void add(int id) {
        if (blocks == ids.length) {
            ids = Arrays.copyOf(ids, blocks * 2);
        }
        ids[blocks++] = id;
    }

    void set(int index, int id) {
        ids[index] = id;
    }

    /** Removes the last block, returning its id. */
    int removeLast() {
        return ids[--blocks];
    }

    void entries(int n) {
        entries = n;
    }
}
