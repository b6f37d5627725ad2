package dev.flashj.cpu;

import dev.flashj.FlashjException;
import dev.flashj.tensor.Tensor;

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
 * <p>It is an {@link Arena}, so that matrices repacked at load ({@link CpuMatrix#prepare}) are allocated
 * in it directly; an allocation that no longer fits the block comes from an ordinary shared arena
 * instead (the reservation is an estimate: a repacked layout may be larger than the file's). The
 * memory lives until {@link #close()}, which unmaps the block and makes every segment handed out
 * inaccessible (an access then throws instead of reading freed memory).
 */
public final class HugePageArena implements Arena {
    private static final long HUGE_PAGE = 2L << 20;
    /** Copies start on cache-line boundaries, so aligned vector loads of a row never straddle two lines more than needed. */
    private static final long ALIGNMENT = 64;
    private static final Path THP_SETTING = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private final Arena arena;
    private final MemorySegment block;
    private final Arena overflow = Arena.ofShared();
    private long used;

    private HugePageArena(Arena arena, MemorySegment block) {
        this.arena = arena;
        this.block = block;
    }

    /**
     * An arena of {@code capacity} bytes, or empty where huge pages cannot be asked for: not Linux,
     * transparent huge pages switched off ({@code never}) or absent, or a capacity over the memory the
     * kernel reports available (a copy must not push the machine into swapping or the OOM killer, where
     * reading the mapped file would merely page). Only touched pages use memory, so a generous
     * capacity costs nothing beyond this check.
     *
     * @throws FlashjException when the kernel refuses the memory (mmap or madvise fails)
     */
    public static Optional<HugePageArena> open(long capacity) {
        return open(capacity, 1.0);
    }

    /**
     * {@link #open(long)}, declining as well when {@code capacity} exceeds {@code share} of the memory
     * the kernel reports available (for optional copies that should leave room to spare).
     */
    public static Optional<HugePageArena> open(long capacity, double share) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacity);
        }
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("share of available memory must be in (0, 1], was " + share);
        }
        if (!hugePagesAvailable() || capacity > availableMemory() * share) {
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

    /**
     * {@code matrix} read from this arena: a matrix read in place from its file is copied here, a
     * repacked one (already a copy) is returned as it is.
     *
     * @throws IllegalStateException when the arena has no room left for the copy
     */
    public CpuMatrix residentCopy(CpuMatrix matrix) {
        return residentCopy(matrix, false);
    }

    /**
     * {@link #residentCopy(CpuMatrix)}, and with {@code repackedSources} also the file tensor of a
     * repacked matrix (which its prefill multiplies in place: 15-25% faster from huge pages than from the
     * file's 4 KiB pages, at the cost of holding those matrices twice).
     *
     * @throws IllegalStateException when the arena has no room left for the copy
     */
    public CpuMatrix residentCopy(CpuMatrix matrix, boolean repackedSources) {
        if (matrix instanceof InterleavedMatrix repacked) {
            if (!repackedSources) {
                return matrix;
            }
            Tensor t = repacked.source();
            return repacked.withSource(new Tensor(t.name(), t.type(), t.shape(), copyOf(t.data())));
        }
        if (!(matrix instanceof InPlaceMatrix(Tensor t))) {
            return matrix;
        }
        return CpuMatrix.inPlace(new Tensor(t.name(), t.type(), t.shape(), copyOf(t.data())));
    }

    /** Bytes of the huge-page block. */
    public long capacity() {
        return block.byteSize();
    }

    /** Zeroed memory in the huge-page block while it has room, else from an ordinary shared arena. */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (byteSize < 0 || byteAlignment <= 0 || Long.bitCount(byteAlignment) != 1) {
            throw new IllegalArgumentException("bad allocation: " + byteSize + " bytes aligned to " + byteAlignment);
        }
        long start = roundUp(block.address() + used, Math.max(byteAlignment, ALIGNMENT)) - block.address();
        if (start + byteSize > block.byteSize()) {
            return overflow.allocate(byteSize, byteAlignment);
        }
        used = start + byteSize;
        return block.asSlice(start, byteSize); // fresh anonymous pages read as zero
    }

    /** The lifetime of the huge-page block (overflow allocations share it: both end at {@link #close()}). */
    @Override
    public MemorySegment.Scope scope() {
        return arena.scope();
    }

    /** Unmaps the memory; segments from {@link #copyOf} and {@link #allocate} become inaccessible. Idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
            overflow.close();
        }
    }

    private static long roundUp(long value, long multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }
}
