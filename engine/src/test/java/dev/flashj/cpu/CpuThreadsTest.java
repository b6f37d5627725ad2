package dev.flashj.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuThreadsTest {

    @Test
    void everyIndexRunsExactlyOnceInContiguousChunks() {
        for (int size : new int[]{1, 2, 3, 5}) {
            try (CpuThreads threads = new CpuThreads(size)) {
                for (int n : new int[]{0, 1, 2, 3, 4, 7, 100, 1001}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                    AtomicIntegerArray chunks = new AtomicIntegerArray(1);
                    threads.parallelFor(n, (start, end) -> {
                        assertTrue(start < end, "empty chunks are not run");
                        chunks.incrementAndGet(0);
                        for (int i = start; i < end; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits.get(i), "size " + size + " n " + n + " index " + i);
                    }
                    assertTrue(chunks.get(0) <= Math.max(1, Math.min(size, n)), "one chunk per thread at most");
                }
            }
        }
    }

    @Test
    void callerRunsTheFirstChunkAndWorkersAreNamedDaemons() {
        try (CpuThreads threads = new CpuThreads(3)) {
            Thread[] runners = new Thread[3];
            threads.parallelFor(3, (start, end) -> runners[start] = Thread.currentThread());
            assertSame(Thread.currentThread(), runners[0]);
            for (int i = 1; i < 3; i++) {
                assertTrue(runners[i].getName().startsWith("flashj-cpu-"), runners[i].getName());
                assertTrue(runners[i].isDaemon());
            }
        }
    }

    @Test
    void manyBackToBackCallsHandOffCorrectly() {
        try (CpuThreads threads = new CpuThreads(2)) {
            long[] sums = new long[2];
            long expected = 0;
            for (int call = 0; call < 200_000; call++) {
                int n = 2 + call % 5;
                threads.parallelFor(n, (start, end) -> {
                    int slot = start == 0 ? 0 : 1;
                    for (int i = start; i < end; i++) {
                        sums[slot] += i;
                    }
                });
                expected += (long) n * (n - 1) / 2;
            }
            assertEquals(expected, sums[0] + sums[1]);
        }
    }

    @Test
    void workerExceptionsAreRethrownOnTheCaller() {
        try (CpuThreads threads = new CpuThreads(3)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> threads.parallelFor(9, (start, end) -> {
                if (start == 6) {
                    throw new IllegalStateException("boom in the last chunk");
                }
            }));
            assertEquals("boom in the last chunk", e.getMessage());
            AtomicReference<String> after = new AtomicReference<>();
            threads.parallelFor(3, (start, end) -> after.set("still works"));
            assertEquals("still works", after.get());
        }
    }

    @Test
    void callerExceptionsWaitForTheWorkers() {
        try (CpuThreads threads = new CpuThreads(2)) {
            AtomicIntegerArray done = new AtomicIntegerArray(1);
            assertThrows(ArithmeticException.class, () -> threads.parallelFor(2, (start, end) -> {
                if (start == 0) {
                    throw new ArithmeticException("caller chunk");
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                done.set(0, 1);
            }));
            assertEquals(1, done.get(0), "returned before the worker finished");
        }
    }

    @Test
    void nestedCallsRunSeriallyInsteadOfDeadlocking() {
        try (CpuThreads threads = new CpuThreads(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(4);
            threads.parallelFor(2, (start, end) -> threads.parallelFor(2, (s, e) -> {
                for (int i = s; i < e; i++) {
                    hits.incrementAndGet(2 * start + i);
                }
            }));
            for (int i = 0; i < 4; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void closedPoolsRefuseWork() {
        for (int size : new int[]{1, 3}) {
            CpuThreads threads = new CpuThreads(size);
            threads.close();
            threads.close();
            assertThrows(IllegalStateException.class, () -> threads.parallelFor(4, (start, end) -> { }));
        }
        assertThrows(IllegalArgumentException.class, () -> new CpuThreads(0));
    }

    @Test
    void workersWakeUpAfterParking() throws InterruptedException {
        try (CpuThreads threads = new CpuThreads(2)) {
            for (int round = 0; round < 3; round++) {
                Thread.sleep(5); // longer than the spin window: the worker parks
                AtomicIntegerArray hits = new AtomicIntegerArray(2);
                threads.parallelFor(2, (start, end) -> hits.incrementAndGet(start));
                assertEquals(1, hits.get(0));
                assertEquals(1, hits.get(1));
            }
        }
    }
}
