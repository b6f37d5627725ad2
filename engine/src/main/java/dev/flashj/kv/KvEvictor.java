package dev.flashj.kv;

import dev.flashj.FlashjException;

import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Applies an {@link EvictionPolicy} to a {@link PagedSequence}: decides, per layer and KV head, which
 * entries stay, and compacts the layers that lose some. Scoring policies are given the queries of the
 * sequence's most recent tokens (the observation window). Not thread-safe: one per sequence.
 */
public final class KvEvictor {
    private final EvictionPolicy policy;
    private final int numHeads;
    private final PrefixKvProfile savedProfile;
    private final ObservationScores scorer = new ObservationScores();
    private PrefixKvProfile lastProfile;
    private int[][][] lastKept;

    /** Loads the saved profile of a {@link EvictionPolicy.PrefixKv} policy, if it names one. */
    public KvEvictor(EvictionPolicy policy, int numHeads, int numLayers) {
        this.policy = policy;
        this.numHeads = numHeads;
        if (policy instanceof EvictionPolicy.PrefixKv p && p.profile().isPresent()) {
            savedProfile = PrefixKvProfile.load(p.profile().get());
            if (savedProfile.layers() != numLayers) {
                throw FlashjException.badFile(p.profile().get(), "layers", savedProfile.layers()
                        + " profiles for a model of " + numLayers + " layers");
            }
        } else {
            savedProfile = null;
        }
    }

    public EvictionPolicy policy() {
        return policy;
    }

    /** The profiles measured by the last PrefixKV eviction (to save for later prompts), if any. */
    public Optional<PrefixKvProfile> lastProfile() {
        return Optional.ofNullable(lastProfile);
    }

    /**
     * The entries the last eviction kept: per layer (null for a layer left whole) and KV head, the old
     * entry indices, ascending; null before any eviction. Lets backends be compared decision by decision.
     */
    public int[][][] lastKept() {
        return lastKept;
    }

    /**
     * Evicts when the sequence is over its budget. After a prefill the sequence is brought down to the
     * budget; while decoding ({@code decode}), one block's worth further, so it is not redone every token.
     *
     * @param window   per layer, the queries of the last {@code observed} tokens, oldest first (asked
     *                 for only when a scoring policy evicts)
     * @param observed tokens in {@code window} (the scoring policies use up to their window of them)
     * @return what was evicted, or empty when the sequence was within its budget
     */
    public Optional<EvictionReport> apply(PagedSequence seq, IntFunction<float[]> window, int observed, boolean decode) {
        return apply(seq, (s, layer, w) -> scorer.compute(s, layer, window.apply(layer), w, numHeads), observed, decode);
    }

    /**
     * {@link #apply(PagedSequence, IntFunction, int, boolean)} with the scores computed by {@code scores}
     * (for storage the host cannot read, such as device memory).
     */
    public Optional<EvictionReport> apply(PagedSequence seq, ObservationScorer scores, int observed, boolean decode) {
        int layers = seq.pool().layout().numLayers();
        int slack = decode ? seq.pool().layout().blockSize() : 0;
        int[] before = new int[layers];
        for (int l = 0; l < layers; l++) {
            before[l] = seq.entries(l);
        }
        int[][][] kept = switch (policy) {
            case EvictionPolicy.None n -> null;
            case EvictionPolicy.Window w -> window(seq, w, slack);
            case EvictionPolicy.SnapKv s -> snapKv(seq, s, scores, observed, slack);
            case EvictionPolicy.PrefixKv p -> prefixKv(seq, p, scores, observed, slack);
        };
        if (kept == null) {
            return Optional.empty();
        }
        lastKept = kept;
        long bytesBefore = seq.bytes();
        int[] after = before.clone();
        for (int l = 0; l < layers; l++) {
            if (kept[l] != null && kept[l][0].length < before[l]) {
                CompactionResult r = seq.compact(l, kept[l], kept[l][0].length);
                if (r instanceof CompactionResult.NoRoom(Allocation.OutOfBlocks shortage)) {
                    throw new FlashjException(shortage.describe(seq.pool().layout()) + " while compacting layer " + l);
                }
                after[l] = kept[l][0].length;
            }
        }
        return Optional.of(new EvictionReport(before, after, bytesBefore, seq.bytes()));
    }

    private static int[][] sameForEveryHead(int[] kept, int heads) {
        int[][] out = new int[heads][];
        for (int g = 0; g < heads; g++) {
            out[g] = kept;
        }
        return out;
    }

    private int[][][] window(PagedSequence seq, EvictionPolicy.Window w, int slack) {
        KvLayout layout = seq.pool().layout();
        int[][][] kept = new int[layout.numLayers()][][];
        boolean any = false;
        for (int l = 0; l < kept.length; l++) {
            int n = seq.entries(l);
            if (n > w.budget()) {
                int recent = Math.max(1, w.recent() - slack);
                kept[l] = sameForEveryHead(KeptEntries.window(n, w.sinks(), recent), layout.numKvHeads());
                any = true;
            }
        }
        return any ? kept : null;
    }

    private int[][][] snapKv(PagedSequence seq, EvictionPolicy.SnapKv s, ObservationScorer scores, int observed, int slack) {
        KvLayout layout = seq.pool().layout();
        int[][][] kept = new int[layout.numLayers()][][];
        boolean any = false;
        for (int l = 0; l < kept.length; l++) {
            int n = seq.entries(l);
            if (n <= s.budget()) {
                continue;
            }
            int w = Math.min(Math.min(s.window(), observed), n);
            if (w < 1) {
                throw new IllegalStateException("snapkv needs at least one observed query");
            }
            int keep = Math.max(w, s.budget() - slack);
            double[][] layerScores = scores.score(seq, l, w);
            kept[l] = KeptEntries.snapKv(layerScores, n, w, keep, s.kernel(), s.pooling());
            any = true;
        }
        return any ? kept : null;
    }

    private int[][][] prefixKv(PagedSequence seq, EvictionPolicy.PrefixKv p, ObservationScorer scores, int observed, int slack) {
        KvLayout layout = seq.pool().layout();
        int layers = layout.numLayers();
        long total = 0;
        for (int l = 0; l < layers; l++) {
            total += seq.entries(l);
        }
        long global = (long) p.budget() * layers;
        if (total <= global) {
            return null;
        }
        long target = global - (long) slack * layers;
        double[][] layerScores = new double[layers][];
        double[][] cum = new double[layers][];
        double[][] measured = new double[layers][];
        int[] sinks = new int[layers];
        int[] recent = new int[layers];
        long protectedTotal = 0;
        for (int l = 0; l < layers; l++) {
            int n = seq.entries(l);
            sinks[l] = Math.min(p.sinks(), n);
            recent[l] = Math.min(p.recent(), n - sinks[l]);
            protectedTotal += sinks[l] + recent[l];
            int w = Math.min(Math.min(p.recent(), observed), n);
            double[][] perHead = scores.score(seq, l, w);
            double[] summed = new double[n];
            for (double[] head : perHead) {
                for (int i = 0; i < n; i++) {
                    summed[i] += head[i];
                }
            }
            layerScores[l] = summed;
            measured[l] = PrefixKvBudgets.profile(summed, sinks[l], n - recent[l]);
            cum[l] = savedProfile != null ? savedProfile.forEntries(l, n - recent[l] - sinks[l]) : measured[l];
        }
        lastProfile = PrefixKvProfile.of(measured);
        int[] middle = PrefixKvBudgets.allocate(cum, Math.max(0, target - protectedTotal));
        int[][][] kept = new int[layers][][];
        for (int l = 0; l < layers; l++) {
            int n = seq.entries(l);
            int[] chosen = KeptEntries.top(layerScores[l], sinks[l], n - recent[l], middle[l]);
            int[] all = KeptEntries.concat(KeptEntries.range(0, sinks[l]), chosen, KeptEntries.range(n - recent[l], n));
            kept[l] = sameForEveryHead(all, layout.numKvHeads());
        }
        return kept;
    }
}
