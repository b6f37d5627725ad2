package dev.flashj.cpu;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OpsTest {
    private static final int[] SIZES = {1, 2, 5, 8, 9, 16, 23, 64, 100, 257};
    private final Random rnd = new Random(11);

    private float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    @Test
    void dotMatchesFloat64() {
        for (int n : SIZES) {
            float[] a = random(n + 3);
            float[] b = random(n + 5);
            double ref = 0;
            double mag = 0;
            for (int i = 0; i < n; i++) {
                ref += (double) a[3 + i] * b[5 + i];
                mag += Math.abs((double) a[3 + i] * b[5 + i]);
            }
            assertEquals(ref, Ops.dot(a, 3, b, 5, n), 1e-6 * (1 + mag), "n=" + n);
        }
    }

    @Test
    void axpyAddScaleMatchFloat64() {
        for (int n : SIZES) {
            float[] x = random(n + 2);
            float[] y = random(n + 1);
            float[] orig = y.clone();
            float[] y2 = y.clone();
            float[] y3 = y.clone();
            Ops.axpy(0.37f, x, 2, y, 1, n);
            Ops.add(x, 2, y2, 1, n);
            Ops.scale(y3, 1, n, -1.5f);
            assertEquals(orig[0], y[0]);
            assertEquals(orig[0], y2[0]);
            assertEquals(orig[0], y3[0]);
            for (int i = 0; i < n; i++) {
                double o = orig[1 + i];
                double xi = x[2 + i];
                assertEquals(o + 0.37 * xi, y[1 + i], 1e-6 * (1 + Math.abs(o) + Math.abs(xi)));
                assertEquals(o + xi, y2[1 + i], 1e-6 * (1 + Math.abs(o) + Math.abs(xi)));
                assertEquals(o * -1.5, y3[1 + i], 1e-6 * (1 + Math.abs(o)));
            }
        }
    }

    @Test
    void siluMulMatchesFloat64() {
        for (int n : SIZES) {
            float[] g = random(n);
            float[] u = random(n);
            float[] orig = g.clone();
            for (int i = 0; i < n; i++) {
                g[i] *= 6;
                orig[i] = g[i];
            }
            Ops.siluMul(g, 0, u, 0, n);
            for (int i = 0; i < n; i++) {
                double ref = orig[i] / (1 + Math.exp(-orig[i])) * u[i];
                assertEquals(ref, g[i], 1e-6 * (1 + Math.abs(ref)));
            }
        }
    }

    @Test
    void softmaxMatchesFloat64AndSurvivesLargeValues() {
        for (int n : SIZES) {
            float[] x = random(n + 1);
            for (int i = 0; i < x.length; i++) {
                x[i] = x[i] * 30 + 500; // exp(500) overflows float without the max subtraction
            }
            float[] orig = x.clone();
            Ops.softmax(x, 1, n);
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, orig[1 + i]);
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += Math.exp(orig[1 + i] - max);
            }
            for (int i = 0; i < n; i++) {
                assertEquals(Math.exp(orig[1 + i] - max) / sum, x[1 + i], 1e-6);
            }
            assertEquals(orig[0], x[0]);
        }
    }

    @Test
    void argmaxTakesFirstOfTies() {
        float[] x = {1, 5, 2, 5, -1};
        assertEquals(1, Ops.argmax(x, 0, 5));
        assertEquals(0, Ops.argmax(x, 1, 4)); // relative to the offset
        assertEquals(1, Ops.argmax(x, 2, 3));
    }
}
