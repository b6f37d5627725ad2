package dev.flashj.cli.bench;

/**
 * A case's output next to a reference, for the sanity check on the first run: sampled or whole,
 * as the case chose. Passes when every element is within {@code tolerance} of the reference,
 * relative to the largest reference magnitude (outputs such as attention rows are of order one).
 *
 * @param actual    what the op produced (NaN when it left an element unwritten: outputs are poisoned first)
 * @param expected  the reference, same length
 * @param tolerance relative tolerance
 * @param reference what the reference is ("float64 reference of 64 sampled rows", "CPU ops")
 */
public record Comparison(double[] actual, double[] expected, double tolerance, String reference) {

    public Comparison {
        if (actual.length != expected.length || actual.length == 0) {
            throw new IllegalArgumentException("comparison of " + actual.length + " with " + expected.length + " values");
        }
    }

    /** The largest |actual - expected| over the largest |expected|; infinite when an element is NaN. */
    public double relativeError() {
        double scale = 1e-6;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (!(d <= Double.MAX_VALUE)) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, d);
        }
        return worst / scale;
    }

    /** The index of the worst element (for the failure message). */
    public int worstIndex() {
        int worst = 0;
        double worstDiff = -1;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (Double.isNaN(d)) {
                return i;
            }
            if (d > worstDiff) {
                worstDiff = d;
                worst = i;
            }
        }
        return worst;
    }

    public boolean passes() {
        return relativeError() <= tolerance;
    }
}
