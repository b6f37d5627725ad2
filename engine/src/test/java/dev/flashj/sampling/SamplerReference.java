package dev.flashj.sampling;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A plain, slow, float64 re-statement of the sampling steps, for checking {@link Sampler}: boxed
 * lists, library sorts, no buffers. Returns the final distribution as id -> probability
 * (normalised to sum 1), in candidate order.
 */
final class SamplerReference {
    private SamplerReference() {
    }

    static double[] penalise(float[] logits, List<Integer> recent, SamplingParams p) {
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i];
        }
        if (p.repeatPenalty() == 1f) {
            return out;
        }
        List<Integer> window = recent.subList(Math.max(0, recent.size() - p.repeatLastN()), recent.size());
        Set<Integer> distinct = new LinkedHashSet<>(window);
        for (int id : distinct) {
            out[id] = out[id] > 0 ? out[id] / p.repeatPenalty() : out[id] * p.repeatPenalty();
        }
        return out;
    }

    static int greedy(float[] logits, List<Integer> recent, SamplingParams p) {
        double[] l = penalise(logits, recent, p);
        int best = 0;
        for (int i = 1; i < l.length; i++) {
            if (l[i] > l[best]) {
                best = i;
            }
        }
        return best;
    }

    static Map<Integer, Double> distribution(float[] logits, List<Integer> recent, SamplingParams p) {
        double[] l = penalise(logits, recent, p);
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < l.length; i++) {
            candidates.add(i);
        }
        Comparator<Integer> mostLikelyFirst = Comparator.<Integer>comparingDouble(i -> -l[i]).thenComparing(i -> i);
        if (p.topK() > 0 && p.topK() < l.length) {
            candidates.sort(mostLikelyFirst);
            candidates = new ArrayList<>(candidates.subList(0, p.topK()));
        }
        double max = candidates.stream().mapToDouble(i -> l[i]).max().orElseThrow();
        Map<Integer, Double> prob = new LinkedHashMap<>();
        double sum = 0;
        for (int i : candidates) {
            double e = Math.exp((l[i] - max) / p.temperature());
            prob.put(i, e);
            sum += e;
        }
        for (int i : candidates) {
            prob.put(i, prob.get(i) / sum);
        }
        if (p.topP() < 1f) {
            candidates.sort(mostLikelyFirst);
            double cumulative = 0;
            List<Integer> nucleus = new ArrayList<>();
            for (int i : candidates) {
                nucleus.add(i);
                cumulative += prob.get(i);
                if (cumulative >= p.topP()) {
                    break;
                }
            }
            candidates = nucleus;
        }
        if (p.minP() > 0f) {
            double top = candidates.stream().mapToDouble(prob::get).max().orElseThrow();
            candidates = candidates.stream().filter(i -> prob.get(i) >= p.minP() * top).toList();
        }
        double kept = candidates.stream().mapToDouble(prob::get).sum();
        Map<Integer, Double> out = new LinkedHashMap<>();
        for (int i : candidates) {
            out.put(i, prob.get(i) / kept);
        }
        return out;
    }
}
