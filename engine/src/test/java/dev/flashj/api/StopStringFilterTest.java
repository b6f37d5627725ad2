package dev.flashj.api;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringFilterTest {

    /** Feeds pieces; returns what was released, with "|" between pieces' releases, then the flush. */
    private static String run(List<String> stops, String... pieces) {
        StopStringFilter f = new StopStringFilter(stops);
        StringBuilder out = new StringBuilder();
        for (String p : pieces) {
            out.append(f.append(p)).append('|');
        }
        return out.append(f.stopped() ? "STOP" : "flush:" + f.flush()).toString();
    }

    @Test
    void noStopStringsReleasesEverythingAtOnce() {
        assertEquals("ab|c|flush:", run(List.of(), "ab", "c"));
    }

    @Test
    void holdsAPossibleStartAndDropsTheStopStringSpanningPieces() {
        assertEquals("d|e||||STOP", run(List.of("fgh"), "d", "e", "f", "g", "h"));
    }

    @Test
    void releasesAHeldStartThatDidNotBecomeAStop() {
        assertEquals("d|||fgh|i|flush:", run(List.of("fgx"), "d", "f", "g", "h", "i"));
    }

    @Test
    void overlappingStartIsStillFound() {
        assertEquals("|a||STOP", run(List.of("ab"), "a", "a", "b"));
    }

    @Test
    void stopInsideOnePieceKeepsTheTextBeforeIt() {
        assertEquals("hello |STOP", run(List.of("END"), "hello ENDxyz"));
    }

    @Test
    void earliestOfSeveralStopStringsWins() {
        assertEquals("one |STOP", run(List.of("three", "two"), "one two three"));
    }

    @Test
    void heldTailComesOutOnFlush() {
        assertEquals("abc||flush:\nU", run(List.of("\nUser:"), "abc", "\nU"));
    }

    @Test
    void nothingAfterAStop() {
        StopStringFilter f = new StopStringFilter(List.of("x"));
        assertEquals("a", f.append("ax"));
        assertTrue(f.stopped());
        assertEquals("", f.append("more"));
        assertEquals("", f.flush());
        assertFalse(new StopStringFilter(List.of("x")).stopped());
    }
}
