package dev.flashj.opencl;

import dev.flashj.FlashjException;
import dev.flashj.opencl.runtime.OpenCl;
import org.junit.jupiter.api.Assumptions;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/** Shared by the OpenCL tests: opening OpenCL or skipping with the reason, random data, comparisons. */
public final class OpenClTestSupport {
    private OpenClTestSupport() {
    }

    /** OpenCL with at least one device, or a skipped test saying why not. */
    public static OpenCl openOrSkip() {
        OpenCl cl;
        try {
            cl = OpenCl.open();
        } catch (FlashjException e) {
            Assumptions.abort("OpenCL unavailable: " + e.getMessage() + "; skipping");
            throw e;
        }
        if (cl.devices().isEmpty()) {
            cl.close();
            Assumptions.abort("OpenCL unavailable: " + OpenCl.NO_PLATFORM + "; skipping");
        }
        return cl;
    }

    public static float[] randoms(Random random, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    /** Rounds through IEEE half, the values a f16 buffer holds. */
    public static float[] roundToHalf(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Float.float16ToFloat(Float.floatToFloat16(a[i]));
        }
        return r;
    }

    public static short[] halves(float[] a) {
        short[] r = new short[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Float.floatToFloat16(a[i]);
        }
        return r;
    }

    /** |actual - expected| <= abs + rel * |expected| everywhere; NaN (an unwritten poisoned element) fails. */
    public static void assertClose(double[] expected, float[] actual, int actualOffset, double abs, double rel, String what) {
        for (int i = 0; i < expected.length; i++) {
            float a = actual[actualOffset + i];
            int at = i;
            assertFalse(Float.isNaN(a), () -> what + ": element " + at + " is NaN (unwritten poisoned output?)");
            double err = Math.abs(a - expected[i]);
            if (!(err <= abs + rel * Math.abs(expected[i]))) {
                fail(what + ": element " + i + " expected " + expected[i] + " got " + a + " (error " + err + ")");
            }
        }
    }
}
