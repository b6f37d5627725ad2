package dev.flashj.cli;

import dev.flashj.TestData;
import org.junit.jupiter.api.Test;

import static dev.flashj.cli.GenerateOptionsTest.chat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code flashj chat} on a scripted stdin with stories260K (no chat template: the plain fallback). */
class ChatCommandTest {

    private static long lines(String s) {
        return s.chars().filter(c -> c == '\n').count();
    }

    @Test
    void oneMessageThenExit() {
        String model = TestData.require("stories260K.gguf").toString();
        CliRun r = chat("Tell me a story about a cat\n/exit\nthis line is never read\n",
                "-m", model, "--temperature", "0", "-n", "24");
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals(1, lines(r.out()), r::toString);
        assertTrue(r.out().strip().length() > 0, r::toString);
        assertTrue(!r.out().startsWith(" "), "the reply's leading space is not shown: " + r);
        assertTrue(r.err().contains("no chat template"), r::toString);
        assertTrue(r.err().contains("chat template: plain"), r::toString);
    }

    @Test
    void endOfInputEndsTheChatAndHistoryIsKept() {
        String model = TestData.require("stories260K.gguf").toString();
        CliRun r = chat("Hello\n\nWho is Lily?\n", "-m", model, "--temperature", "0", "-n", "16",
                "--system", "You tell short stories.");
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals(2, lines(r.out()), r::toString); // the blank line is skipped
    }

    @Test
    void oldestExchangesAreDroppedWhenTheContextFills() {
        String model = TestData.require("stories260K.gguf").toString();
        String message = "Once upon a time there was a little girl who loved to play in the park with her dog\n";
        CliRun r = chat(message.repeat(6), "-m", model, "--temperature", "0", "-n", "16", "--max-context", "96");
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals(6, lines(r.out()), r::toString);
        assertTrue(r.err().contains("dropped the oldest exchange"), r::toString);
    }
}
