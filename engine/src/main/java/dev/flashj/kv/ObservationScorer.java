package dev.flashj.kv;

/**
 * Computes {@link ObservationScores} for one layer wherever the keys live: on the host from a query
 * window, or on a device from queries it kept there.
 */
@FunctionalInterface
public interface ObservationScorer {
    /**
     * The attention the first {@code w} queries of the layer's observation window (oldest first) pay to
     * each of its {@code n} entries, summed per KV head: {@code scores[kvHead][entry]}.
     */
    double[][] score(PagedSequence seq, int layer, int w);
}
