package dev.flashj.kv;

/**
 * One sequence's side of prefix sharing, the same on every backend: the tokens it was fed, the chain
 * hashes of its full blocks (computed lazily), and how many of those blocks it has offered to the
 * pool's prefix cache. {@link #attach} reuses published blocks for a new prompt's leading full
 * blocks; {@link #publish} offers blocks once they fill up. The session owns the position and says
 * when sharing no longer applies (after an eviction its entries stop matching positions).
 */
public final class SharedPrefix {
    private final BlockPool pool;
    private final PagedSequence kv;
    private final int layers;
    private final int blockSize;
    private final int[] history;      // every token fed, [0, position)
    private final long[] blockHashes; // chain hash of each full block of history
    private int hashedBlocks;         // blockHashes valid below this block
    private int publishedBlocks;      // full blocks already offered to the prefix cache

    public SharedPrefix(BlockPool pool, PagedSequence kv, int layers, int maxTokens) {
        this.pool = pool;
        this.kv = kv;
        this.layers = layers;
        this.blockSize = pool.layout().blockSize();
        this.history = new int[maxTokens];
        this.blockHashes = new long[maxTokens / blockSize + 1];
    }

    /** Records {@code count} tokens fed at {@code position}. */
    public void record(int[] tokens, int offset, int position, int count) {
        System.arraycopy(tokens, offset, history, position, count);
    }

    /** Records one token fed at {@code position}. */
    public void record(int token, int position) {
        history[position] = token;
    }

    /** A copy of the first {@code count} tokens fed. */
    public int[] tokens(int count) {
        return java.util.Arrays.copyOf(history, count);
    }

    /**
     * Attaches published blocks matching the next full blocks of the {@code count} tokens just
     * recorded at {@code position}, leaving at least {@code computeAtLeast} of them to compute;
     * returns how many tokens the attached blocks cover (0 when {@code position} is mid-block).
     */
    public int attach(int position, int count, int computeAtLeast) {
        if (position % blockSize != 0) {
            return 0;
        }
        int start = position;
        int[] found = new int[layers];
        while (position + blockSize <= start + count - computeAtLeast) {
            int b = position / blockSize;
            long hash = blockHash(b);
            long parent = parentHash(b);
            int hits = 0;
            while (hits < layers && (found[hits] = pool.lookup(hash, parent, hits, history, position)) >= 0) {
                hits++;
            }
            if (hits < layers) {
                for (int l = 0; l < hits; l++) {
                    pool.release(found[l]);
                }
                break;
            }
            for (int l = 0; l < layers; l++) {
                kv.attachShared(l, found[l]);
            }
            position += blockSize;
            publishedBlocks = b + 1;
        }
        return position - start;
    }

    /** Offers every full block below {@code position} not offered yet, in every layer, to the prefix cache. */
    public void publish(int position) {
        while ((publishedBlocks + 1) * blockSize <= position) {
            int b = publishedBlocks;
            long hash = blockHash(b);
            long parent = parentHash(b);
            for (int l = 0; l < layers; l++) {
                int id = kv.table(l).block(b);
                if (pool.writable(id)) {
                    pool.publish(id, hash, parent, l, history, b * blockSize);
                }
            }
            publishedBlocks++;
        }
    }

    /** Forgets hashes and publications at or past {@code position} (the sequence was cut there). */
    public void truncate(int position) {
        hashedBlocks = Math.min(hashedBlocks, position / blockSize);
        publishedBlocks = Math.min(publishedBlocks, position / blockSize);
    }

    private long parentHash(int block) {
        return block == 0 ? ChainHash.ROOT : blockHashes[block - 1];
    }

    private long blockHash(int block) {
        while (hashedBlocks <= block) {
            blockHashes[hashedBlocks] = ChainHash.next(parentHash(hashedBlocks), history, hashedBlocks * blockSize,
                    blockSize);
            hashedBlocks++;
        }
        return blockHashes[block];
    }
}
