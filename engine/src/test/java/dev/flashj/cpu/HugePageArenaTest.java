package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class HugePageArenaTest {
    @Test
    void copiesAreEqualReadOnlyAlignedAndGoneAfterClose() {
        assumeTrue(HugePageArena.hugePagesAvailable(), "no transparent huge pages on this OS");
        try (Arena heap = Arena.ofConfined()) {
            MemorySegment a = filled(heap, 1001, 3);
            MemorySegment b = filled(heap, 77, 11);
            long capacity = HugePageArena.bytesFor(a.byteSize(), b.byteSize());
            assertEquals(1024 + 128, capacity, "each copy rounded up to a cache line");
            Optional<HugePageArena> opened = HugePageArena.open(capacity);
            assertTrue(opened.isPresent());
            MemorySegment copyA;
            try (HugePageArena arena = opened.get()) {
                copyA = arena.copyOf(a);
                MemorySegment copyB = arena.copyOf(b);
                assertEquals(-1, copyA.mismatch(a));
                assertEquals(-1, copyB.mismatch(b));
                assertEquals(0, copyB.address() % 64);
                assertTrue(copyA.isReadOnly());
                assertThrows(IllegalStateException.class, () -> arena.copyOf(b), "arena is full");
            }
            MemorySegment closed = copyA;
            assertThrows(IllegalStateException.class, () -> closed.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void aRepackedMatrixKeepsItsPackedWeightsAndGetsAResidentSource() {
        assumeTrue(HugePageArena.hugePagesAvailable(), "no transparent huge pages on this OS");
        assumeTrue(InterleavedMatrix.supported(), "no repacked kernels on this CPU");
        int rows = 40;
        int cols = 64;
        byte[] bytes = MatMulReference.randomWeights(TensorType.Q4_0, rows, cols, new Random(9));
        try (Arena file = Arena.ofShared(); HugePageArena memory = HugePageArena.open(1 << 20).orElseThrow();
             CpuThreads threads = new CpuThreads(1)) {
            Tensor t = MatMulParityTest.oddlyPlaced(file, TensorType.Q4_0, rows, cols, bytes);
            CpuMatrix packed = CpuMatrix.prepare(t, file);
            assertSame(packed, memory.residentCopy(packed, false));
            CpuMatrix resident = memory.residentCopy(packed, true);
            assertTrue(resident instanceof InterleavedMatrix);
            assertTrue(resident.source().data().address() != t.data().address(), "the source was copied");
            assertEquals(-1, resident.source().data().mismatch(t.data()));
            float[] x = new float[9 * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.sin(i);
            }
            for (int batch : new int[]{1, 9}) { // the repacked kernel, then the in-place prefill
                float[] expected = new float[batch * rows];
                float[] got = new float[batch * rows];
                packed.matmul(threads, x, 0, batch, expected, 0);
                resident.matmul(threads, x, 0, batch, got, 0);
                assertArrayEquals(expected, got, "batch " + batch);
            }
        }
    }

    @Test
    void declinesMoreThanTheMemoryAvailable() {
        assumeTrue(HugePageArena.hugePagesAvailable(), "no transparent huge pages on this OS");
        long available = HugePageArena.availableMemory();
        assertTrue(available > 0, "MemAvailable should be readable where huge pages are");
        assertTrue(HugePageArena.open(available + (1L << 30)).isEmpty());
        assertTrue(HugePageArena.open(available / 4 * 3 + (512L << 20), 0.75).isEmpty(), "over three quarters of it");
        assertThrows(IllegalArgumentException.class, () -> HugePageArena.open(4096, 0));
    }

    @Test
    void allocatesAlignedZeroedMemoryAndOverflowsIntoAnOrdinaryArena() {
        assumeTrue(HugePageArena.hugePagesAvailable(), "no transparent huge pages on this OS");
        Optional<HugePageArena> opened = HugePageArena.open(4096);
        assertTrue(opened.isPresent());
        MemorySegment inBlock;
        MemorySegment overflow;
        try (HugePageArena arena = opened.get()) {
            inBlock = arena.allocate(1000, 256);
            assertEquals(0, inBlock.address() % 256);
            for (long i = 0; i < inBlock.byteSize(); i++) {
                assertEquals(0, inBlock.get(ValueLayout.JAVA_BYTE, i));
            }
            inBlock.set(ValueLayout.JAVA_BYTE, 999, (byte) 7);
            overflow = arena.allocate(8192, 64); // past the 4096-byte block
            assertEquals(8192, overflow.byteSize());
            overflow.set(ValueLayout.JAVA_BYTE, 8191, (byte) 1);
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, 3));
        }
        MemorySegment a = inBlock;
        MemorySegment b = overflow;
        assertThrows(IllegalStateException.class, () -> a.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> b.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void residentCopyCopiesInPlaceMatricesAndKeepsRepackedOnes() {
        assumeTrue(HugePageArena.hugePagesAvailable(), "no transparent huge pages on this OS");
        try (Arena heap = Arena.ofConfined(); HugePageArena arena = HugePageArena.open(1 << 20).orElseThrow()) {
            MemorySegment bytes = filled(heap, 4 * 32 * 4, 5);
            CpuMatrix mapped = CpuMatrix.inPlace(new Tensor("w", TensorType.F32, new long[]{4, 32}, bytes));
            CpuMatrix copy = arena.residentCopy(mapped);
            assertEquals(-1, copy.source().data().mismatch(bytes));
            assertTrue(copy.source().data().isReadOnly());
            assertEquals("w", copy.source().name());
            Tensor q8 = MatMulParityTest.oddlyPlaced(heap, TensorType.Q8_0, 32, 64,
                    MatMulReference.randomWeights(TensorType.Q8_0, 32, 64, new java.util.Random(3)));
            CpuMatrix prepared = CpuMatrix.prepare(q8, arena);
            if (!(prepared instanceof InPlaceMatrix)) {
                assertSame(prepared, arena.residentCopy(prepared), "a repacked matrix is already a copy");
            }
        }
    }

    @Test
    void rejectsANonPositiveCapacity() {
        assertThrows(IllegalArgumentException.class, () -> HugePageArena.open(0));
    }

    private static MemorySegment filled(Arena arena, int bytes, int seed) {
        MemorySegment s = arena.allocate(bytes);
        for (int i = 0; i < bytes; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) (i * seed + 1));
        }
        return s;
    }
}
