package dev.flashj.cpu;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void declinesMoreThanTheMemoryAvailable() {
        assumeTrue(HugePageArena.hugePagesAvailable(), "no transparent huge pages on this OS");
        long available = HugePageArena.availableMemory();
        assertTrue(available > 0, "MemAvailable should be readable where huge pages are");
        assertTrue(HugePageArena.open(available).isEmpty());
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
