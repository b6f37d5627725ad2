package dev.flashj.model.cpu;

/** Where the CPU model reads its weight matrices from while it runs. */
public enum WeightMemory {
    /** In place, from the memory-mapped model file (no copy; 4 KiB pages). */
    FILE_MAPPING,
    /**
     * Copied at load time into anonymous memory backed by transparent huge pages, where the OS offers
     * them (Linux with THP {@code always} or {@code madvise}); elsewhere read from the file as
     * {@link #FILE_MAPPING}. Decoding runs faster (fewer TLB misses) at the cost of a copy of the
     * matrices in memory besides the file's page cache, which the kernel may then drop.
     */
    HUGE_PAGES
}
