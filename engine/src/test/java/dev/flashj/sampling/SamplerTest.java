package dev.flashj.sampling;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {

    private static float[] randomLogits(Random random, int n, double scale) {
        float[] logits = new float[n];
        for (int i = 0; i < n; i++) {
            logits[i] = (float) (random.nextGaussian() * scale);
        }
        return logits;
    }

    /** The sampler's candidates after filtering, normalised to sum 1, in candidate order. */
    private static Map<Integer, Double> candidates(Sampler sampler, float[] logits) {
        sampler.filter(logits);
        Map<Integer, Double> out = new LinkedHashMap<>();
        for (int j = 0; j < sampler.candidateCount(); j++) {
            out.put(sampler.candidateId(j), (double) sampler.candidateProbability(j) / sampler.candidateMass());
        }
        return out;
    }

    private static void assertSameDistribution(Map<Integer, Double> expected, Map<Integer, Double> actual) {
        assertEquals(expected.keySet(), actual.keySet(), "kept tokens");
        for (var e : expected.entrySet()) {
            assertEquals(e.getValue(), actual.get(e.getKey()), 1e-5, "probability of token " + e.getKey());
        }
    }

    private static SamplingParams off(float temperature) {
        return new SamplingParams(temperature, 0, 1f, 0f, 1f, 64, 7);
    }

    @Test
    void greedyPicksTheArgmaxAndTheLowestIdOnTies() {
        Random random = new Random(1);
        for (int trial = 0; trial < 20; trial++) {
            float[] logits = randomLogits(random, 37 + trial * 13, 3);
            Sampler sampler = new Sampler(SamplingParams.greedy(), logits.length);
            assertEquals(SamplerReference.greedy(logits, List.of(), SamplingParams.greedy()), sampler.sample(logits));
        }
        float[] tied = {1f, 5f, -2f, 5f, 4.999f};
        assertEquals(1, new Sampler(SamplingParams.greedy(), tied.length).sample(tied));
    }

    @Test
    void greedyIgnoresTheOtherFiltersAndTheSeed() {
        float[] logits = {0.5f, 3f, 2.9f, -1f};
        SamplingParams p = new SamplingParams(0f, 2, 0.5f, 0.3f, 1f, 64, 123);
        Sampler sampler = new Sampler(p, logits.length);
        for (int i = 0; i < 10; i++) {
            assertEquals(1, sampler.sample(logits));
        }
    }

    @Test
    void repeatPenaltyDividesPositiveAndMultipliesNegativeLogitsOncePerToken() {
        // token 0 is the argmax (3.0) but was seen: 3.0 / 2 = 1.5 < token 1 (2.0)
        float[] logits = {3f, 2f, -1f, -0.1f, 1.9f};
        SamplingParams p = SamplingParams.greedy().withRepeatPenalty(2f);
        Sampler sampler = new Sampler(p, logits.length);
        List<Integer> recent = List.of(0, 0, 0, 3);
        recent.forEach(sampler::accept);
        assertEquals(1, sampler.sample(logits));
        assertEquals(SamplerReference.greedy(logits, recent, p), 1);

        // distribution check with the penalty on several tokens, some repeated, window of 3
        Random random = new Random(2);
        float[] many = randomLogits(random, 50, 2);
        SamplingParams q = off(1f).withRepeatPenalty(1.7f).withRepeatLastN(3);
        Sampler s = new Sampler(q, many.length);
        List<Integer> seen = List.of(4, 9, 9, 17, 4, 30);
        seen.forEach(s::accept);
        assertSameDistribution(SamplerReference.distribution(many, seen, q), candidates(s, many));
    }

    @Test
    void repeatPenaltyOffWhenWindowIsZero() {
        float[] logits = {3f, 2f};
        Sampler sampler = new Sampler(SamplingParams.greedy().withRepeatPenalty(10f).withRepeatLastN(0), 2);
        sampler.accept(0);
        assertEquals(0, sampler.sample(logits));
    }

    @Test
    void softmaxWithTemperatureMatchesTheReference() {
        Random random = new Random(3);
        for (float t : new float[] {0.3f, 1f, 1.7f}) {
            float[] logits = randomLogits(random, 101, 2);
            SamplingParams p = off(t);
            assertSameDistribution(SamplerReference.distribution(logits, List.of(), p),
                    candidates(new Sampler(p, logits.length), logits));
        }
    }

    @Test
    void aTinyTemperatureBehavesLikeGreedy() {
        float[] logits = {1f, 3f, 2.5f, -4f};
        Sampler sampler = new Sampler(off(1e-30f).withSeed(3), logits.length);
        for (int i = 0; i < 100; i++) {
            assertEquals(1, sampler.sample(logits));
        }
    }

    @Test
    void topKKeepsTheKMostLikely() {
        Random random = new Random(4);
        for (int k : new int[] {1, 2, 5, 40, 99}) {
            float[] logits = randomLogits(random, 100, 2);
            SamplingParams p = off(0.9f).withTopK(k);
            Map<Integer, Double> actual = candidates(new Sampler(p, logits.length), logits);
            assertEquals(k, actual.size());
            assertSameDistribution(SamplerReference.distribution(logits, List.of(), p), actual);
            // sorted most likely first
            List<Integer> order = new ArrayList<>(actual.keySet());
            for (int j = 1; j < order.size(); j++) {
                assertTrue(logits[order.get(j - 1)] >= logits[order.get(j)]);
            }
        }
    }

    @Test
    void topKAtOrAboveTheVocabularyIsOff() {
        float[] logits = {1f, 2f, 3f};
        assertEquals(3, candidates(new Sampler(off(1f).withTopK(3), 3), logits).size());
        assertEquals(3, candidates(new Sampler(off(1f).withTopK(10), 3), logits).size());
    }

    @Test
    void topPKeepsTheSmallestNucleusReachingP() {
        // softmax of ln(0.5), ln(0.3), ln(0.15), ln(0.05) = exactly those probabilities
        float[] logits = {(float) Math.log(0.15), (float) Math.log(0.5), (float) Math.log(0.05), (float) Math.log(0.3)};
        Map<Integer, Double> kept = candidates(new Sampler(off(1f).withTopP(0.7f), 4), logits);
        assertEquals(List.of(1, 3), new ArrayList<>(kept.keySet()));
        assertEquals(0.5 / 0.8, kept.get(1), 1e-6);

        Random random = new Random(5);
        int checked = 0;
        for (int trial = 0; trial < 40; trial++) {
            float[] l = randomLogits(random, 64 + trial, 1.5);
            float p = 0.3f + 0.6f * random.nextFloat();
            SamplingParams params = off(1f).withTopP(p);
            Map<Integer, Double> expected = SamplerReference.distribution(l, List.of(), params);
            assertSameDistribution(expected, candidates(new Sampler(params, l.length), l));
            checked++;
        }
        assertEquals(40, checked);
    }

    @Test
    void topPAfterTopKWorksOnTheTopK() {
        Random random = new Random(6);
        float[] logits = randomLogits(random, 200, 1);
        SamplingParams p = off(1.2f).withTopK(30).withTopP(0.6f);
        assertSameDistribution(SamplerReference.distribution(logits, List.of(), p),
                candidates(new Sampler(p, logits.length), logits));
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheBest() {
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        Map<Integer, Double> kept = candidates(new Sampler(off(1f).withMinP(0.25f), 4), logits);
        assertEquals(List.of(0, 1, 2), new ArrayList<>(kept.keySet())); // 0.125 threshold keeps 0.15, drops 0.05
        assertEquals(0.5 / 0.95, kept.get(0), 1e-6);

        Random random = new Random(7);
        for (float minP : new float[] {0.01f, 0.1f, 0.5f, 1f}) {
            float[] l = randomLogits(random, 80, 2);
            SamplingParams p = off(0.8f).withMinP(minP);
            assertSameDistribution(SamplerReference.distribution(l, List.of(), p), candidates(new Sampler(p, l.length), l));
        }
    }

    @Test
    void allStepsTogetherMatchTheReference() {
        Random random = new Random(8);
        for (int trial = 0; trial < 30; trial++) {
            int n = 33 + random.nextInt(300);
            float[] logits = randomLogits(random, n, 1 + random.nextDouble() * 3);
            SamplingParams p = new SamplingParams(0.2f + 1.5f * random.nextFloat(), random.nextInt(60),
                    0.5f + 0.5f * random.nextFloat(), 0.1f * random.nextFloat(), 1f + random.nextFloat(),
                    random.nextInt(20), trial);
            Sampler sampler = new Sampler(p, n);
            List<Integer> recent = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                int id = random.nextInt(n);
                recent.add(id);
                sampler.accept(id);
            }
            assertSameDistribution(SamplerReference.distribution(logits, recent, p), candidates(sampler, logits));
        }
    }

    @Test
    void sameSeedSameSequenceDifferentSeedDifferentSequence() {
        Random random = new Random(9);
        float[][] steps = new float[200][];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = randomLogits(random, 257, 1.5);
        }
        SamplingParams p = SamplingParams.defaults().withSeed(42);
        assertArrayEquals(run(p, steps), run(p, steps));
        assertNotEquals(List.of(run(p, steps)), List.of(run(p.withSeed(43), steps)));
        assertArrayEquals(run(p.withSeed(0), steps), run(p.withSeed(0), steps));
    }

    private static int[] run(SamplingParams p, float[][] steps) {
        Sampler sampler = new Sampler(p, steps[0].length);
        int[] out = new int[steps.length];
        for (int i = 0; i < steps.length; i++) {
            out[i] = sampler.sample(steps[i]);
            sampler.accept(out[i]);
        }
        return out;
    }

    @Test
    void drawsFollowTheDistribution() {
        // six tokens with known probabilities; chi-square with 5 degrees of freedom
        double[] expected = {0.05, 0.1, 0.15, 0.2, 0.2, 0.3};
        float[] logits = new float[expected.length];
        for (int i = 0; i < expected.length; i++) {
            logits[i] = (float) Math.log(expected[i]) + 3f; // a shift softmax must not care about
        }
        Sampler sampler = new Sampler(off(1f).withSeed(2024), logits.length);
        int draws = 60_000;
        int[] counts = new int[expected.length];
        for (int i = 0; i < draws; i++) {
            counts[sampler.sample(logits)]++;
        }
        double chiSquare = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i] * draws;
            chiSquare += (counts[i] - e) * (counts[i] - e) / e;
        }
        assertTrue(chiSquare < 20.5, "chi-square " + chiSquare + " above the 0.1% critical value 20.5 (df 5)");
    }

    @Test
    void drawsNeverLeaveTheFilteredSet() {
        float[] logits = {5f, 4.9f, 4.8f, 1f, 0f, -3f};
        Sampler sampler = new Sampler(off(1f).withTopK(3).withSeed(5), logits.length);
        boolean[] seen = new boolean[logits.length];
        for (int i = 0; i < 3000; i++) {
            seen[sampler.sample(logits)] = true;
        }
        assertArrayEquals(new boolean[] {true, true, true, false, false, false}, seen);
    }

    @Test
    void samplingATokenAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        float[] logits = randomLogits(new Random(10), 4099, 2);
        Sampler sampler = new Sampler(new SamplingParams(0.8f, 0, 0.95f, 0.05f, 1.1f, 64, 1), logits.length);
        for (int i = 0; i < 2000; i++) { // warm up (and fill the penalty window)
            sampler.accept(sampler.sample(logits));
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 2000; i++) {
            sampler.accept(sampler.sample(logits));
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes for 2000 tokens");
    }
}
