package dev.flashj.cpu;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The 4-row x 4-token micro-kernel alone against float64 sums, on widths that do and do not fill
 * whole vectors, with tokens at unrelated offsets (also repeated, as the batch end does) and
 * NaN-poisoned sums and lane scratch.
 */
class FloatTileTest {
    @Test
    void matchesFloat64DotProducts() {
        Random random = new Random(42);
        for (int cols : new int[]{1, 7, 15, 16, 17, 33, 100, 257}) {
            float[][] w = new float[FloatTile.ROWS][];
            for (int r = 0; r < FloatTile.ROWS; r++) {
                w[r] = randomFloats(random, cols + 5); // longer than cols: the kernel must stop at cols
            }
            float[] x = randomFloats(random, 3 + 5 * cols);
            int[] starts = {3, 3 + 2 * cols, 3 + cols, 3 + 2 * cols};
            float[] sums = new float[FloatTile.ROWS * FloatTile.TOKENS];
            float[] lanes = new float[FloatTile.ROWS * FloatTile.TOKENS * QuantVectors.L];
            Arrays.fill(sums, Float.NaN);
            Arrays.fill(lanes, Float.NaN);
            FloatTile.multiply(w[0], w[1], w[2], w[3], cols, x, starts[0], starts[1], starts[2], starts[3], sums, lanes);
            for (int r = 0; r < FloatTile.ROWS; r++) {
                for (int t = 0; t < FloatTile.TOKENS; t++) {
                    double expected = 0;
                    double magnitude = 0;
                    for (int c = 0; c < cols; c++) {
                        expected += (double) w[r][c] * x[starts[t] + c];
                        magnitude += Math.abs((double) w[r][c] * x[starts[t] + c]);
                    }
                    assertEquals(expected, sums[FloatTile.TOKENS * r + t], 1e-6 * magnitude + 1e-7,
                            "cols=" + cols + " row " + r + " token " + t);
                }
            }
        }
    }

    private static float[] randomFloats(Random random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = random.nextFloat() * 2 - 1;
        }
        return a;
    }
}
