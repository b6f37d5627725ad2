package dev.flashj.cli.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShapeParserTest {
    private final ShapeSchema attention = new ShapeSchema()
            .key("b", "batch", 1).key("h", "heads", 32).key("kvh", "kv heads", 8).key("n", "tokens", 4096).key("d", "head", 128)
            .preset("small", "h=4,kvh=2,n=64,d=32");

    @Test
    void overridesKeepTheOtherDefaultsInSchemaOrder() {
        List<Shape> shapes = ShapeParser.parse(attention, "d=64, n=100");
        assertEquals(1, shapes.size());
        assertEquals("b=1,h=32,kvh=8,n=100,d=64", shapes.getFirst().toString());
    }

    @Test
    void presetsAndDefault() {
        assertEquals("b=1,h=4,kvh=2,n=64,d=32", ShapeParser.parse(attention, "small").getFirst().toString());
        assertEquals("b=1,h=32,kvh=8,n=4096,d=128", ShapeParser.parse(attention, "default").getFirst().toString());
    }

    @Test
    void sweepsDoubleAndListsAndCrossProducts() {
        List<Shape> sweep = ShapeParser.parse(attention, "n=1000..5000");
        assertEquals(List.of(1000, 2000, 4000), sweep.stream().map(s -> s.get("n")).toList());
        List<Shape> cross = ShapeParser.parse(attention, "n=7/9,d=16/32/64");
        assertEquals(6, cross.size());
        assertEquals("b=1,h=32,kvh=8,n=9,d=64", cross.getLast().toString());
    }

    @Test
    void badShapesAreUsageErrorsNamingTheOptionAndTheReason() {
        assertBad("x=3", "unknown size 'x'");
        assertBad("n=abc", "n=abc: not a whole number");
        assertBad("n=0", "sizes must be positive");
        assertBad("n", "'n' is not key=value");
        assertBad("n=4,n=5", "given twice");
        assertBad("n=64..8", "ends below its start");
        assertBad("n=1..1000000000000", "not a whole number");
        assertBad("n=1/2/3/4/5/6/7/8,d=1/2/3/4/5/6/7/8/9", "at most " + ShapeParser.MAX_SWEEP_POINTS);
    }

    private void assertBad(String text, String reason) {
        BenchUsageException e = assertThrows(BenchUsageException.class, () -> ShapeParser.parse(attention, text));
        assertEquals("--shape", e.option());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }
}
