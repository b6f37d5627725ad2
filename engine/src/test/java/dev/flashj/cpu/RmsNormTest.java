package dev.flashj.cpu;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RmsNormTest {

    @Test
    void matchesFloat64ReferenceOnOddSizes() {
        Random rnd = new Random(7);
        for (int n : new int[]{1, 3, 7, 8, 15, 16, 17, 31, 48, 64, 97, 288, 1001}) {
            int xOff = 3;
            int outOff = 5;
            float[] x = new float[xOff + n + 2];
            float[] w = new float[n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * 3);
            }
            for (int i = 0; i < n; i++) {
                w[i] = (float) (1 + 0.5 * rnd.nextGaussian());
            }
            float eps = 1e-5f;
            float[] out = new float[outOff + n + 4];
            Arrays.fill(out, Float.NaN);
            RmsNorm.apply(x, xOff, w, eps, out, outOff, n);
            double ss = 0;
            for (int i = 0; i < n; i++) {
                ss += (double) x[xOff + i] * x[xOff + i];
            }
            double inv = 1 / Math.sqrt(ss / n + eps);
            for (int i = 0; i < n; i++) {
                double ref = x[xOff + i] * inv * w[i];
                assertEquals(ref, out[outOff + i], 1e-5 * (1 + Math.abs(ref)), "n=" + n + " i=" + i);
            }
            // untouched around the slice
            assertEquals(Float.NaN, out[outOff - 1]);
            assertEquals(Float.NaN, out[outOff + n]);
        }
    }

    @Test
    void worksInPlace() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        float[] w = new float[x.length];
        Arrays.fill(w, 2f);
        double ss = 0;
        for (float v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + 1e-6);
        float[] expected = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            expected[i] = (float) (x[i] * inv * 2);
        }
        RmsNorm.apply(x, 0, w, 1e-6f, x, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            assertEquals(expected[i], x[i], 1e-5);
        }
    }
}
