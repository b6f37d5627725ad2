package dev.flashj.sampling;

import dev.flashj.FlashjException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplingParamsTest {

    private static String error(Runnable r) {
        return assertThrows(FlashjException.class, r::run).getMessage();
    }

    @Test
    void rejectsOutOfRangeValuesNamingTheParameter() {
        SamplingParams p = SamplingParams.defaults();
        assertEquals("temperature must be >= 0, was -1.0", error(() -> p.withTemperature(-1)));
        assertTrue(error(() -> p.withTemperature(Float.NaN)).startsWith("temperature "));
        assertTrue(error(() -> p.withTopK(-2)).startsWith("topK must be >= 0"));
        assertTrue(error(() -> p.withTopP(1.5f)).startsWith("topP must be in (0, 1]"));
        assertTrue(error(() -> p.withTopP(0f)).startsWith("topP "));
        assertTrue(error(() -> p.withMinP(-0.1f)).startsWith("minP "));
        assertTrue(error(() -> p.withMinP(1.01f)).startsWith("minP "));
        assertTrue(error(() -> p.withRepeatPenalty(0f)).startsWith("repeatPenalty must be > 0"));
        assertTrue(error(() -> p.withRepeatLastN(-1)).startsWith("repeatLastN "));
    }

    @Test
    void defaultsAreLlamaCppLike() {
        SamplingParams p = SamplingParams.defaults();
        assertEquals(0.8f, p.temperature());
        assertEquals(40, p.topK());
        assertEquals(0.95f, p.topP());
        assertEquals(0.05f, p.minP());
        assertEquals(1f, p.repeatPenalty());
        assertEquals(64, p.repeatLastN());
        assertTrue(SamplingParams.greedy().isGreedy());
        assertEquals(5L, p.withSeed(5).seed());
    }
}
