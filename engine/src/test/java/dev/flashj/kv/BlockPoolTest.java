package dev.flashj.kv;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockPoolTest {
    private static final KvLayout LAYOUT = new KvLayout(2, 2, 3, 4); // kvDim 6, blocks of 4 tokens

    /** Entry e of layer l, head g, dim d gets a recognizable key value (values are its negation). */
    private static float mark(int seq, int layer, int entry, int head, int d) {
        return seq * 100000 + layer * 10000 + entry * 10 + head * 3 + d + 0.5f;
    }

    private static void appendMarked(PagedSequence s, int seqMark, int count) {
        int kvDim = LAYOUT.kvDim();
        assertTrue(s.reserve(count).granted());
        for (int l = 0; l < LAYOUT.numLayers(); l++) {
            int start = s.entries(l);
            float[] k = new float[count * kvDim];
            float[] v = new float[count * kvDim];
            for (int i = 0; i < count; i++) {
                for (int g = 0; g < LAYOUT.numKvHeads(); g++) {
                    for (int d = 0; d < LAYOUT.headDim(); d++) {
                        k[i * kvDim + g * LAYOUT.headDim() + d] = mark(seqMark, l, start + i, g, d);
                        v[i * kvDim + g * LAYOUT.headDim() + d] = -mark(seqMark, l, start + i, g, d);
                    }
                }
            }
            s.append(l, k, v, 0, count);
        }
    }

    /** Key of entry e, head g, dim d of a layer, read through the block table. */
    private static float key(PagedSequence s, int layer, int entry, int head, int d) {
        BlockPool pool = s.pool();
        int id = s.table(layer).block(entry / LAYOUT.blockSize());
        return pool.keys(id)[pool.offset(id) + (entry % LAYOUT.blockSize()) * LAYOUT.kvDim() + head * LAYOUT.headDim() + d];
    }

    private static float value(PagedSequence s, int layer, int entry, int head, int d) {
        BlockPool pool = s.pool();
        int id = s.table(layer).block(entry / LAYOUT.blockSize());
        return pool.values(id)[pool.offset(id) + (entry % LAYOUT.blockSize()) * LAYOUT.kvDim() + head * LAYOUT.headDim() + d];
    }

    @Test
    void runningOutIsAResultAndTakesNothing() {
        BlockPool pool = new BlockPool(LAYOUT, KvBudget.tokens(8)); // 2 blocks per layer = 4 blocks
        assertEquals(4, pool.capacityBlocks());
        PagedSequence a = new PagedSequence(pool);
        assertTrue(a.reserve(5).granted()); // 2 blocks per layer
        PagedSequence b = new PagedSequence(pool);
        Allocation out = b.reserve(1);
        Allocation.OutOfBlocks shortage = assertInstanceOf(Allocation.OutOfBlocks.class, out);
        assertEquals(2, shortage.requested());
        assertEquals(0, shortage.free());
        assertTrue(shortage.describe(LAYOUT).contains("exhausted"));
        assertEquals(0, b.blocks());
        a.close();
        assertEquals(4, pool.freeBlocks());
        assertTrue(b.reserve(1).granted());
        b.close();
        assertEquals(KvBudget.bytes(10 * LAYOUT.bytesPerBlock() + 1).blocks(LAYOUT), 10);
    }

    @Test
    void brokenInvariantsThrow() {
        BlockPool pool = new BlockPool(LAYOUT, KvBudget.tokens(16));
        int[] ids = new int[1];
        assertTrue(pool.allocate(1, ids, 0).granted());
        pool.release(ids[0]);
        assertThrows(IllegalStateException.class, () -> pool.release(ids[0]));
        assertThrows(IllegalStateException.class, () -> pool.retain(ids[0]));
        PagedSequence s = new PagedSequence(pool);
        assertThrows(IllegalStateException.class, () -> s.append(0, new float[6], new float[6], 0, 1));
        assertThrows(IllegalStateException.class, () -> s.truncate(0, 1));
    }

    @Test
    void publishedPrefixIsSharedAndCopiedOnWrite() {
        BlockPool pool = new BlockPool(LAYOUT, KvBudget.tokens(64));
        int[] tokens = {5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
        PagedSequence a = new PagedSequence(pool);
        appendMarked(a, 1, 10); // two full blocks and 2 entries
        long h0 = ChainHash.next(ChainHash.ROOT, tokens, 0, 4);
        long h1 = ChainHash.next(h0, tokens, 4, 4);
        for (int l = 0; l < 2; l++) {
            assertTrue(pool.publish(a.table(l).block(0), h0, ChainHash.ROOT, l, tokens, 0));
            assertTrue(pool.publish(a.table(l).block(1), h1, h0, l, tokens, 4));
        }
        // A different token in the second block changes its chain hash: only the first block matches.
        int[] other = tokens.clone();
        other[5] = 99;
        assertNotEquals(h1, ChainHash.next(h0, other, 4, 4));
        assertEquals(-1, pool.lookup(h1, h0, 0, other, 4), "tokens are verified, not only the hash");
        PagedSequence b = new PagedSequence(pool);
        for (int l = 0; l < 2; l++) {
            int id = pool.lookup(h0, ChainHash.ROOT, l, other, 0);
            assertEquals(a.table(l).block(0), id);
            b.attachShared(l, id);
            assertEquals(2, pool.refCount(id));
        }
        appendMarked(b, 2, 3);
        assertEquals(mark(1, 1, 3, 1, 2), key(b, 1, 3, 1, 2), "shared entries read through b");
        assertEquals(mark(2, 1, 4, 1, 2), key(b, 1, 4, 1, 2));
        // b rewinds into the shared (published) block and writes: it gets its own copy.
        b.truncate(2);
        appendMarked(b, 3, 1);
        assertNotEquals(a.table(0).block(0), b.table(0).block(0));
        assertEquals(mark(1, 0, 1, 0, 0), key(b, 0, 1, 0, 0), "copied entries kept");
        assertEquals(mark(3, 0, 2, 0, 0), key(b, 0, 2, 0, 0));
        assertEquals(mark(1, 0, 2, 0, 0), key(a, 0, 2, 0, 0), "a is untouched");
        // Forks share everything; the partial last block is copied when either side appends.
        PagedSequence c = a.fork();
        appendMarked(c, 4, 1);
        assertEquals(mark(1, 0, 9, 1, 1), key(c, 0, 9, 1, 1));
        assertEquals(mark(4, 0, 10, 1, 1), key(c, 0, 10, 1, 1));
        assertNotEquals(a.table(0).block(2), c.table(0).block(2));
        assertEquals(a.table(0).block(1), c.table(0).block(1));
        a.close();
        b.close();
        c.close();
        assertEquals(pool.capacityBlocks(), pool.freeBlocks());
        // Published blocks wait in the cache and can be revived...
        assertEquals(4, pool.cachedBlocks());
        int revived = pool.lookup(h0, ChainHash.ROOT, 0, tokens, 0);
        assertTrue(revived >= 0);
        assertEquals(1, pool.refCount(revived));
        assertFalse(pool.writable(revived));
        pool.release(revived);
        pool.dropCachedPrefixes();
        assertEquals(0, pool.cachedBlocks());
        assertEquals(-1, pool.lookup(h0, ChainHash.ROOT, 0, tokens, 0));
    }

    @Test
    void compactionMovesKeptEntriesPerHeadAndFreesBlocks() {
        BlockPool pool = new BlockPool(LAYOUT, KvBudget.tokens(64));
        PagedSequence a = new PagedSequence(pool);
        appendMarked(a, 1, 13);
        PagedSequence shared = a.fork(); // forces copy-on-write of the rewritten blocks
        int[][] kept = {{0, 1, 5, 6, 9, 12}, {0, 2, 3, 4, 11, 12}};
        long before = a.bytes();
        CompactionResult r = a.compact(1, kept, 6);
        CompactionResult.Compacted done = assertInstanceOf(CompactionResult.Compacted.class, r);
        assertEquals(13, done.entriesBefore());
        assertEquals(6, done.entriesAfter());
        assertEquals(before, done.bytesBefore());
        assertEquals(before - 2 * LAYOUT.bytesPerBlock(), done.bytesAfter()); // 4 blocks -> 2 in layer 1
        for (int g = 0; g < 2; g++) {
            for (int j = 0; j < 6; j++) {
                for (int d = 0; d < 3; d++) {
                    assertEquals(mark(1, 1, kept[g][j], g, d), key(a, 1, j, g, d));
                    assertEquals(-mark(1, 1, kept[g][j], g, d), value(a, 1, j, g, d));
                }
            }
        }
        for (int e = 0; e < 13; e++) {
            assertEquals(mark(1, 1, e, 1, 2), key(shared, 1, e, 1, 2), "the fork keeps every entry");
            assertEquals(mark(1, 0, e, 0, 0), key(a, 0, e, 0, 0), "layer 0 untouched");
        }
        assertThrows(IllegalStateException.class, () -> a.compact(0, new int[][]{{1, 0}, {0, 1}}, 2));
        a.close();
        shared.close();
        assertEquals(pool.capacityBlocks(), pool.freeBlocks());
    }

    /**
     * 1,000 sequences of random lengths with random shared prefixes (published and looked up like a
     * session does), forks, truncations and random compactions, some alive at once: at the end every
     * block is back in the pool and the storage never grew past the peak need.
     */
    @Test
    void blockAccountingAfterThousandRandomSequences() {
        Random rnd = new Random(2024);
        BlockPool pool = new BlockPool(LAYOUT, KvBudget.tokens(4000));
        int[][] prompts = new int[6][];
        for (int p = 0; p < prompts.length; p++) {
            prompts[p] = new int[64];
            for (int i = 0; i < 64; i++) {
                prompts[p][i] = rnd.nextInt(50);
            }
        }
        List<PagedSequence> live = new ArrayList<>();
        int bs = LAYOUT.blockSize();
        int sharedHits = 0;
        int compactions = 0;
        for (int n = 0; n < 1000; n++) {
            int[] tokens = prompts[rnd.nextInt(prompts.length)].clone();
            int length = 1 + rnd.nextInt(60);
            if (rnd.nextBoolean()) {
                tokens[rnd.nextInt(length)] = 77; // diverge somewhere
            }
            PagedSequence s = new PagedSequence(pool);
            long parent = ChainHash.ROOT;
            int pos = 0;
            // Attach the published prefix, then compute and publish the rest.
            while (pos + bs <= length - 1) {
                long h = ChainHash.next(parent, tokens, pos, bs);
                int[] found = new int[LAYOUT.numLayers()];
                int hits = 0;
                while (hits < found.length && (found[hits] = pool.lookup(h, parent, hits, tokens, pos)) >= 0) {
                    hits++;
                }
                if (hits < found.length) {
                    for (int l = 0; l < hits; l++) {
                        pool.release(found[l]);
                    }
                    break;
                }
                for (int l = 0; l < found.length; l++) {
                    s.attachShared(l, found[l]);
                }
                sharedHits++;
                parent = h;
                pos += bs;
            }
            if (!s.reserve(length - pos).granted()) {
                s.close();
                continue;
            }
            int kvDim = LAYOUT.kvDim();
            for (int l = 0; l < LAYOUT.numLayers(); l++) {
                s.append(l, new float[(length - pos) * kvDim], new float[(length - pos) * kvDim], 0, length - pos);
            }
            for (int b = pos / bs; (b + 1) * bs <= length; b++) {
                long h = ChainHash.next(parent, tokens, b * bs, bs);
                for (int l = 0; l < LAYOUT.numLayers(); l++) {
                    int id = s.table(l).block(b);
                    if (pool.writable(id)) {
                        pool.publish(id, h, parent, l, tokens, b * bs);
                    }
                }
                parent = h;
            }
            if (rnd.nextInt(4) == 0) {
                PagedSequence f = s.fork();
                live.add(f);
            }
            if (rnd.nextInt(3) == 0 && length > 2) {
                int layer = rnd.nextInt(LAYOUT.numLayers());
                int keep = 1 + rnd.nextInt(length - 1);
                int[][] kept = new int[LAYOUT.numKvHeads()][];
                for (int g = 0; g < kept.length; g++) {
                    kept[g] = rnd.ints(0, length).distinct().limit(keep).sorted().toArray();
                }
                if (s.compact(layer, kept, keep) instanceof CompactionResult.Compacted) {
                    compactions++;
                }
            }
            if (rnd.nextInt(5) == 0) {
                s.truncate(rnd.nextInt(1 + Math.min(s.entries(0), s.entries(1))));
            }
            live.add(s);
            while (live.size() > 12) {
                live.remove(rnd.nextInt(live.size())).close();
            }
        }
        for (PagedSequence s : live) {
            s.close();
        }
        assertTrue(sharedHits > 100, "prefix sharing exercised: " + sharedHits);
        assertTrue(compactions > 100, "compaction exercised: " + compactions);
        assertEquals(pool.capacityBlocks(), pool.freeBlocks());
        assertEquals(0, pool.usedBytes());
        assertTrue(pool.allocatedBytes() <= (long) pool.capacityBlocks() * LAYOUT.bytesPerBlock());
        int[] all = new int[pool.capacityBlocks()];
        assertTrue(pool.allocate(all.length, all, 0).granted(), "every block can be taken again");
        assertArrayEquals(all, java.util.Arrays.stream(all).distinct().toArray(), "no block handed out twice");
    }
}
