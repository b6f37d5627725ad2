package dev.flashj.cpu;

import dev.flashj.FlashjException;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The three libc calls of {@link HugePageArena} (Linux, 64-bit), resolved from the C library the JVM
 * is linked with. Nothing here interprets results; the arena checks them.
 */
final class LibcMemoryCalls {
    static final int PROT_READ_WRITE = 0x1 | 0x2;
    static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    static final int MADV_HUGEPAGE = 14;
    /** What mmap returns on failure: (void *) -1. */
    static final long MAP_FAILED = -1L;

    private final MethodHandle mmap;
    private final MethodHandle madvise;
    private final MethodHandle munmap;

    LibcMemoryCalls() {
        Linker linker = Linker.nativeLinker();
        mmap = bind(linker, "mmap", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
        madvise = bind(linker, "madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        munmap = bind(linker, "munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private static MethodHandle bind(Linker linker, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = linker.defaultLookup().find(name)
                .orElseThrow(() -> new FlashjException("the C library has no symbol " + name));
        return linker.downcallHandle(symbol, descriptor);
    }

    /** Private anonymous read-write pages: {@code mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)}. */
    long mapAnonymous(long length) {
        try {
            MemorySegment address = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, length, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
            return address.address();
        } catch (Throwable t) {
            throw new FlashjException("mmap of " + length + " bytes failed: " + t);
        }
    }

    int adviseHugePages(long address, long length) {
        try {
            return (int) madvise.invokeExact(MemorySegment.ofAddress(address), length, MADV_HUGEPAGE);
        } catch (Throwable t) {
            throw new FlashjException("madvise(MADV_HUGEPAGE) failed: " + t);
        }
    }

    int unmap(long address, long length) {
        try {
            return (int) munmap.invokeExact(MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            throw new FlashjException("munmap failed: " + t);
        }
    }
}
