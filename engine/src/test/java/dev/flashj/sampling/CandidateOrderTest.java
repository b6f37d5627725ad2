package dev.flashj.sampling;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CandidateOrderTest {

    @Test
    void keysRoundTripAndOrderByValueThenLowerId() {
        float[] values = {-3.5f, -0f, 0f, 1e-30f, -1e-30f, 7f, 7f, Float.NEGATIVE_INFINITY, 2.25f};
        long[] keys = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            keys[i] = CandidateOrder.key(values[i], i);
            assertEquals(i, CandidateOrder.id(keys[i]));
            assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(CandidateOrder.value(keys[i])));
        }
        CandidateOrder.sortDescending(keys, keys.length);
        List<Integer> ids = new ArrayList<>();
        for (long k : keys) {
            ids.add(CandidateOrder.id(k));
        }
        assertEquals(List.of(5, 6, 8, 3, 2, 1, 4, 0, 7), ids); // 0f before -0f: raw bit order, harmless
    }

    @Test
    void selectTopMatchesAFullSort() {
        Random random = new Random(11);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + random.nextInt(500);
            int k = 1 + random.nextInt(n);
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = random.nextInt(20) - 10 + (random.nextBoolean() ? 0.5f : 0f); // many ties
            }
            long[] out = new long[n];
            CandidateOrder.selectTop(values, n, k, out);
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                expected.add(i);
            }
            expected.sort(Comparator.<Integer>comparingDouble(i -> -values[i]).thenComparing(i -> i));
            for (int j = 0; j < k; j++) {
                assertEquals(expected.get(j), CandidateOrder.id(out[j]), "rank " + j);
            }
        }
    }
}
