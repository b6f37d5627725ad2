package dev.flashj.cli.bench;

import java.util.SplittableRandom;

/**
 * How many input sets a case rotates through: enough that their total exceeds twice the last-level
 * cache (so each run reads its inputs from memory), within a memory budget. Also the source of
 * random inputs.
 *
 * @param cacheBytes  the cache to outgrow
 * @param budgetBytes the most all sets of one case may take
 * @param random      random inputs
 */
public record InputPlan(long cacheBytes, long budgetBytes, SplittableRandom random) {
    static final int MAX_SETS = 256;

    /** The number of sets of {@code bytesPerSet} each. */
    public int sets(long bytesPerSet) {
        long wanted = (2 * cacheBytes + bytesPerSet - 1) / Math.max(1, bytesPerSet);
        long affordable = budgetBytes / Math.max(1, bytesPerSet);
        return (int) Math.clamp(Math.min(wanted, affordable), 1, MAX_SETS);
    }
}
