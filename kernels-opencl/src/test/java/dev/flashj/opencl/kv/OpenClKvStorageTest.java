package dev.flashj.opencl.kv;

import dev.flashj.kv.BlockPool;
import dev.flashj.kv.CompactionResult;
import dev.flashj.kv.CpuKvStorage;
import dev.flashj.kv.KvLayout;
import dev.flashj.kv.PagedSequence;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.OpenCl;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.flashj.opencl.OpenClTestSupport.openOrSkip;
import static dev.flashj.opencl.OpenClTestSupport.randoms;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device storage behaves like the host one under the block pool: the same script of appends, forks
 * (copy-on-write of a shared, partly filled block), device-style appends, compaction with different kept
 * entries per KV head and truncation leaves every entry of every sequence equal on both.
 */
class OpenClKvStorageTest {
    private static final KvLayout LAYOUT = new KvLayout(2, 3, 5, 4);
    private static final int CAPACITY = 40;

    /** Runs the script on {@code pool}; returns every entry of both sequences, keys then values, by layer. */
    private static float[] script(BlockPool pool) {
        Random rnd = new Random(3);
        int kvDim = LAYOUT.kvDim();
        PagedSequence a = new PagedSequence(pool);
        append(a, rnd, 11);
        PagedSequence b = a.fork();
        append(b, rnd, 3);   // b's last block was shared with a: copied first
        append(a, rnd, 2);
        // A device-style append: rows from the block table, floats written straight into the storage.
        assertTrue(a.reserve(5).granted());
        for (int l = 0; l < LAYOUT.numLayers(); l++) {
            int[] rows = new int[5];
            a.appendRows(l, 5, rows, 0);
            float[] k = randoms(rnd, 5 * kvDim, 1f);
            float[] v = randoms(rnd, 5 * kvDim, 1f);
            for (int i = 0; i < 5; i++) {
                pool.storage().write(rows[i] / LAYOUT.blockSize(), rows[i] % LAYOUT.blockSize(), k, v, i * kvDim, 1);
            }
            a.commitAppended(l, 5);
        }
        int[][] kept = {{0, 3, 4, 9, 12, 17}, {1, 2, 5, 6, 7, 8}, {2, 10, 11, 13, 16, 17}};
        assertInstanceOf(CompactionResult.Compacted.class, a.compact(0, kept, 6));
        b.truncate(1, 9);
        float[] out = new float[0];
        for (PagedSequence s : new PagedSequence[]{a, b}) {
            for (int l = 0; l < LAYOUT.numLayers(); l++) {
                out = concat(out, entries(pool, s, l));
            }
        }
        a.close();
        b.close();
        assertEquals(0, pool.usedBlocks());
        return out;
    }

    private static void append(PagedSequence s, Random rnd, int count) {
        assertTrue(s.reserve(count).granted());
        for (int l = 0; l < LAYOUT.numLayers(); l++) {
            s.append(l, randoms(rnd, count * LAYOUT.kvDim(), 1f), randoms(rnd, count * LAYOUT.kvDim(), 1f), 0, count);
        }
    }

    private static float[] entries(BlockPool pool, PagedSequence s, int layer) {
        int n = s.entries(layer);
        int kvDim = LAYOUT.kvDim();
        float[] k = new float[n * kvDim];
        float[] v = new float[n * kvDim];
        for (int e = 0; e < n; e++) {
            int id = s.table(layer).block(e / LAYOUT.blockSize());
            pool.storage().read(id, e % LAYOUT.blockSize(), k, v, e * kvDim, 1);
        }
        return concat(k, v);
    }

    private static float[] concat(float[] a, float[] b) {
        float[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void deviceStorageMatchesHostStorage() {
        float[] host;
        try (BlockPool cpu = new BlockPool(LAYOUT, CAPACITY, c -> new CpuKvStorage(LAYOUT, c))) {
            host = script(cpu);
        }
        try (OpenCl cl = openOrSkip(); ClContext context = cl.createContext(cl.devices().getFirst());
             BlockPool device = new BlockPool(LAYOUT, CAPACITY, c -> new OpenClKvStorage(context, LAYOUT, c))) {
            assertEquals(2L * CAPACITY * LAYOUT.floatsPerBlock() * 4, device.allocatedBytes());
            assertThrows(IllegalStateException.class, () -> device.keys(0), "no host arrays for device blocks");
            assertArrayEquals(host, script(device));
        }
    }
}
