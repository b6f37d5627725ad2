package dev.flashj.cpu;

import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RopeTest {

    static Stream<Arguments> configs() {
        List<RopeScaling> scalings = List.of(
                new RopeScaling.None(),
                new RopeScaling.Linear(4f),
                // original 64, low 1, high 4: wavelengths 16..64 are interpolated, so all three bands occur
                new RopeScaling.Llama3(8f, 1f, 4f, 64));
        List<Arguments> out = new ArrayList<>();
        for (RopeScaling s : scalings) {
            for (RopeStyle style : RopeStyle.values()) {
                out.add(Arguments.of(s, style, 64, 64));   // full rotary
                out.add(Arguments.of(s, style, 38, 22));   // partial rotary, odd-ish sizes
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("configs")
    void rotatesLikeTheFloat64Definition(RopeScaling scaling, RopeStyle style, int headDim, int rotaryDims) {
        RopeConfig cfg = new RopeConfig(10000f, scaling, style, rotaryDims);
        int positions = 700;
        RopeTable table = RopeTable.create(cfg, positions);
        Random rnd = new Random(headDim * 31L + rotaryDims + style.ordinal());
        int heads = 3;
        for (int pos : new int[]{0, 1, 2, 17, 63, 64, 255, 699}) {
            float[] x = new float[heads * headDim + 5];
            double[] ref = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
                ref[i] = x[i];
            }
            Rope.apply(x, 5, heads, headDim, style, table, pos);
            for (int h = 0; h < heads; h++) {
                RopeReference.rotate(cfg, ref, 5 + h * headDim, pos);
            }
            for (int i = 0; i < x.length; i++) {
                assertEquals(ref[i], x[i], 2e-5 * (1 + Math.abs(ref[i])),
                        "pos " + pos + " element " + i + " " + scaling + " " + style);
            }
        }
    }

    @Test
    void llama3FrequenciesCoverAllThreeBands() {
        RopeConfig cfg = new RopeConfig(10000f, new RopeScaling.Llama3(8f, 1f, 4f, 64), RopeStyle.HALF, 64);
        RopeConfig plain = new RopeConfig(10000f, new RopeScaling.None(), RopeStyle.HALF, 64);
        double[] scaled = RopeTable.frequencies(cfg);
        double[] base = RopeTable.frequencies(plain);
        int same = 0;
        int divided = 0;
        int between = 0;
        for (int i = 0; i < base.length; i++) {
            assertEquals(RopeReference.angle(cfg, 1, i), scaled[i], 1e-12 * base[i]);
            if (Math.abs(scaled[i] - base[i]) < 1e-15) {
                same++;
            } else if (Math.abs(scaled[i] - base[i] / 8) < 1e-15) {
                divided++;
            } else {
                between++;
                assertTrue(scaled[i] < base[i] && scaled[i] > base[i] / 8);
            }
        }
        assertTrue(same > 0 && divided > 0 && between > 0, same + " " + divided + " " + between);
    }
}
