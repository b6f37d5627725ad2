package dev.flashj.synthetic;

import dev.flashj.FlashjException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticShapeTest {

    @Test
    void namedShapesHaveThePublishedSizes() {
        SyntheticShape tiny = SyntheticShape.named("TinyLlama-1.1B");
        assertEquals(List.of(2048, 22, 32, 4, 5632, 32000, 64), List.of(tiny.hidden(), tiny.layers(), tiny.heads(),
                tiny.kvHeads(), tiny.ffn(), tiny.vocab(), tiny.headDim()));
        // TinyLlama has 1.10B parameters, stories110M 110M (with its untied output matrix: 134M here).
        assertEquals(1.100e9, tiny.parameterCount(), 0.005e9);
        assertEquals(134e6, SyntheticShape.named("stories110m").parameterCount(), 1e6);
        assertEquals(8.03e9, SyntheticShape.named("llama-8b").parameterCount(), 0.01e9);
        assertEquals(1.50e9, SyntheticShape.named("llama-1b").parameterCount(), 0.01e9);
        assertEquals(List.of("stories260k", "stories110m", "tinyllama-1.1b", "llama-1b", "llama-8b"), SyntheticShape.names());
    }

    @Test
    void withLayersKeepsEverythingElse() {
        SyntheticShape two = SyntheticShape.LLAMA_8B.withLayers(2);
        assertEquals(2, two.layers());
        assertEquals(SyntheticShape.LLAMA_8B, two.withLayers(32));
        FlashjException e = assertThrows(FlashjException.class, () -> two.withLayers(0));
        assertTrue(e.getMessage().contains("layers") && e.getMessage().contains("llama-8b"), e.getMessage());
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        FlashjException e = assertThrows(FlashjException.class, () -> SyntheticShape.named("gpt-5"));
        assertTrue(e.getMessage().contains("'gpt-5'"), e.getMessage());
        for (String name : SyntheticShape.names()) {
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
    }

    @Test
    void invalidFieldsAreNamed() {
        FlashjException heads = assertThrows(FlashjException.class,
                () -> new SyntheticShape("x", 64, 1, 6, 4, 64, 16, 8, 32, 10000f));
        assertTrue(heads.getMessage().contains("kvHeads"), heads.getMessage());
        FlashjException ffn = assertThrows(FlashjException.class,
                () -> new SyntheticShape("x", 64, 1, 8, 4, 0, 16, 8, 32, 10000f));
        assertTrue(ffn.getMessage().contains("ffn"), ffn.getMessage());
        FlashjException theta = assertThrows(FlashjException.class,
                () -> new SyntheticShape("x", 64, 1, 8, 4, 64, 16, 8, 32, Float.NaN));
        assertTrue(theta.getMessage().contains("ropeTheta"), theta.getMessage());
        FlashjException name = assertThrows(FlashjException.class,
                () -> new SyntheticShape("a/b", 64, 1, 8, 4, 64, 16, 8, 32, 10000f));
        assertTrue(name.getMessage().contains("name"), name.getMessage());
    }

    @Test
    void weightTypeParsingListsTheChoices() {
        assertEquals(SyntheticWeightType.Q4_0, SyntheticWeightType.parse("Q4_0"));
        assertEquals(SyntheticWeightType.INT4_G128, SyntheticWeightType.parse(" INT4-G128"));
        FlashjException e = assertThrows(FlashjException.class, () -> SyntheticWeightType.parse("q6_k"));
        assertTrue(e.getMessage().contains("'q6_k'")
                && e.getMessage().contains("f32, f16, q8_0, q4_0, q4_k, int4-g128, int4-g32, fp8"), e.getMessage());
    }
}
