package dev.flashj.cpu;

import dev.flashj.FlashjException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One block of anonymous memory backed by transparent huge pages (Linux), filled by copying segments
 * into it one after the other. Decoding reads every weight once per token; from a file mapping in 4 KiB
 * pages each 4 KiB (a row of 2048 halves) costs a TLB miss and a page walk that the hardware prefetcher
 * cannot hide, which measured about a third of the decode time (docs/perf/cpu.md, "Decode path").
 * With 2 MiB pages the walks all but disappear.
 *
 * <p>The copies live until {@link #close()}, which unmaps the block and makes every segment handed out
 * inaccessible (an access then throws instead of reading freed memory).
 */
public final class HugePageArena implements AutoCloseable {
    private static final long HUGE_PAGE = 2L << 20;
    /** Copies start on cache-line boundaries, so aligned vector loads of a row never straddle two lines more than needed. */
    private static final long ALIGNMENT = 64;
    private static final Path THP_SETTING = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private final Arena arena;
    private final MemorySegment block;
    private long used;

    private HugePageArena(Arena arena, MemorySegment block) {
        this.arena = arena;
        this.block = block;
    }

    /**
     * An arena of {@code capacity} bytes, or empty where huge pages cannot be asked for: not Linux,
     * transparent huge pages switched off ({@code never}) or absent, or a capacity over three quarters of
     * the memory the kernel reports available (a copy must not push the machine into swapping or the OOM
     * killer, where reading the mapped file would merely page).
     *
     * @throws FlashjException when the kernel refuses the memory (mmap or madvise fails)
     */
    public static Optional<HugePageArena> open(long capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacity);
        }
        if (!hugePagesAvailable() || capacity > availableMemory() / 4 * 3) {
            return Optional.empty();
        }
        LibcMemoryCalls libc = new LibcMemoryCalls();
        long length = roundUp(capacity, HUGE_PAGE) + HUGE_PAGE; // room to start on a huge-page boundary
        long base = libc.mapAnonymous(length);
        if (base == LibcMemoryCalls.MAP_FAILED || base == 0) {
            throw new FlashjException("mmap of " + length + " bytes for huge-page weights failed (out of memory?)");
        }
        long start = roundUp(base, HUGE_PAGE);
        int advice = libc.adviseHugePages(start, roundUp(capacity, HUGE_PAGE));
        if (advice != 0) {
            libc.unmap(base, length);
            throw new FlashjException("madvise(MADV_HUGEPAGE) of " + length + " bytes returned " + advice);
        }
        Arena arena = Arena.ofShared();
        MemorySegment block = MemorySegment.ofAddress(start).reinterpret(capacity, arena, ignored -> {
            if (libc.unmap(base, length) != 0) {
                throw new IllegalStateException("munmap of the huge-page weights failed");
            }
        });
        return Optional.of(new HugePageArena(arena, block));
    }

    /** Whether the kernel hands out transparent huge pages on request ({@code always} or {@code madvise}). */
    static boolean hugePagesAvailable() {
        if (!System.getProperty("os.name", "").startsWith("Linux") || !Files.isReadable(THP_SETTING)) {
            return false;
        }
        try {
            String setting = Files.readString(THP_SETTING);
            return setting.contains("[always]") || setting.contains("[madvise]");
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code MemAvailable} of /proc/meminfo in bytes (page cache the kernel may drop included), 0 if unknown. */
    static long availableMemory() {
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("MemAvailable:")) {
                    String[] fields = line.trim().split("\\s+");
                    return Long.parseLong(fields[1]) * 1024; // the kernel reports kB
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    /** Bytes {@link #copyOf} needs for segments of these sizes. */
    public static long bytesFor(long... sizes) {
        long total = 0;
        for (long size : sizes) {
            total += roundUp(size, ALIGNMENT);
        }
        return total;
    }

    /**
     * A read-only copy of {@code source} in this arena.
     *
     * @throws IllegalStateException when the arena has no room left for it
     */
    public MemorySegment copyOf(MemorySegment source) {
        long size = source.byteSize();
        if (size > block.byteSize() - used) {
            throw new IllegalStateException("huge-page arena of " + block.byteSize() + " bytes is full: "
                    + used + " used, " + size + " more requested");
        }
        MemorySegment copy = block.asSlice(used, size);
        copy.copyFrom(source);
        used += roundUp(size, ALIGNMENT);
        return copy.asReadOnly();
    }

    /** Unmaps the memory; segments from {@link #copyOf} become inaccessible. Idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    private static long roundUp(long value, long multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }
}
