package dev.flashj.kv;

/**
 * Where the keys and values of a {@link BlockPool}'s blocks live: host arrays ({@link CpuKvStorage}) or
 * device memory (the OpenCL backend's). The pool keeps all bookkeeping (reference counts, free queues,
 * prefix cache) on the host and calls this only to move floats. Blocks are addressed by id; entry
 * {@code slot} of block {@code id} is row {@code id * blockSize + slot}, each row {@code [numKvHeads,
 * headDim]} (NHD). Blocks belong to no layer, so the storage is one pool of rows, not one per layer.
 */
public interface KvStorage extends AutoCloseable {

    /** Makes room for blocks {@code [0, blocks)}; storage that is allocated up front may ignore this. */
    void ensureBlocks(int blocks);

    /** Bytes of storage allocated so far, keys and values together. */
    long allocatedBytes();

    /**
     * Writes {@code count} entries into block {@code id} from slot {@code slot} on: keys from {@code
     * k[offset ..]}, values from {@code v[offset ..]}, {@code count * kvDim} floats each.
     */
    void write(int id, int slot, float[] k, float[] v, int offset, int count);

    /** Reads {@code count} entries of block {@code id} from {@code slot} into {@code k[offset ..]}, {@code v[offset ..]}. */
    void read(int id, int slot, float[] k, float[] v, int offset, int count);

    /** Copies the first {@code entries} entries of block {@code from} to block {@code to} (copy-on-write). */
    void copyEntries(int from, int to, int entries);

    /**
     * Compaction: for {@code i < count}, copies KV head {@code heads[i]} of row {@code srcRows[i]} to the
     * same head of row {@code dstRows[i]}, keys and values, as if every source were read before any
     * destination is written (a later move may overwrite an earlier move's source). Callers never make a
     * move read a row an earlier move wrote, so doing the moves one by one in order is also correct.
     */
    void moveHeads(int[] srcRows, int[] dstRows, int[] heads, int count);

    /** Frees the storage (idempotent). */
    @Override
    void close();
}
