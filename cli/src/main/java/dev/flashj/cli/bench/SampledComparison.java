package dev.flashj.cli.bench;

import java.util.Arrays;

/** Collects output elements next to their reference values, row by row, into a {@link Comparison}. */
final class SampledComparison {
    private double[] actual = new double[64];
    private double[] expected = new double[64];
    private int size;

    /** Adds {@code reference.length} outputs starting at {@code out[at]}. */
    SampledComparison add(float[] out, int at, double[] reference) {
        for (int c = 0; c < reference.length; c++) {
            add(out[at + c], reference[c]);
        }
        return this;
    }

    SampledComparison add(double actualValue, double expectedValue) {
        if (size == actual.length) {
            actual = Arrays.copyOf(actual, size * 2);
            expected = Arrays.copyOf(expected, size * 2);
        }
        actual[size] = actualValue;
        expected[size++] = expectedValue;
        return this;
    }

    Comparison build(double tolerance, String reference) {
        return new Comparison(Arrays.copyOf(actual, size), Arrays.copyOf(expected, size), tolerance, reference);
    }

    /** A whole output against a whole reference output. */
    static Comparison whole(float[] out, float[] reference, double tolerance, String what) {
        double[] a = new double[out.length];
        double[] e = new double[reference.length];
        for (int i = 0; i < out.length; i++) {
            a[i] = out[i];
        }
        for (int i = 0; i < reference.length; i++) {
            e[i] = reference[i];
        }
        return new Comparison(a, e, tolerance, what);
    }

    /** NaN everywhere: an element the op forgets to write fails the check. */
    static float[] poison(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }
}
