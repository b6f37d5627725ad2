package dev.flashj.cli;

import dev.flashj.FlashjException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** FlashJ failures give one line, bugs give a stack trace; both exit 1. */
class ErrorHandlingTest {

    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Option(names = "--verbose")
        boolean verbose;

        @Option(names = "--bug")
        boolean bug;

        @Override
        public Integer call() {
            if (bug) {
                throw new IllegalStateException("invariant broken");
            }
            throw new FlashjException("model.gguf: tensor_count: 99999999999 is too large");
        }
    }

    private static CliRun boom(String... args) {
        return CliRun.run(FlashjCommand.configure(new CommandLine(new Boom())), args);
    }

    @Test
    void flashjExceptionPrintsOneLineAndExitsOne() {
        assumeFalse(FailureHandler.verbose(null), "FLASHJ_DEBUG is set: stack traces are wanted");
        CliRun r = boom();
        assertEquals(1, r.exitCode(), r::toString);
        assertEquals("flashj: model.gguf: tensor_count: 99999999999 is too large", r.err().strip());
        assertEquals("", r.out());
    }

    @Test
    void verbosePrintsTheStackTrace() {
        CliRun r = boom("--verbose");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().startsWith("flashj: model.gguf: tensor_count"), r::toString);
        assertTrue(r.err().contains("at dev.flashj.cli.ErrorHandlingTest$Boom.call"), r::toString);
    }

    @Test
    void unexpectedExceptionIsABugWithAStackTrace() {
        CliRun r = boom("--bug");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("internal error"), r::toString);
        assertTrue(r.err().contains("java.lang.IllegalStateException: invariant broken"), r::toString);
        assertTrue(r.err().contains("at dev.flashj.cli.ErrorHandlingTest$Boom.call"), r::toString);
    }

    @Test
    void verboseWorksBeforeAndAfterTheSubcommand() {
        for (String[] args : new String[][] {
                {"--verbose", "inspect", "/nonexistent/flashj-model.gguf"},
                {"inspect", "/nonexistent/flashj-model.gguf", "--verbose"}}) {
            CliRun r = CliRun.flashj(args);
            assertEquals(1, r.exitCode(), r::toString);
            assertTrue(r.err().startsWith("flashj: /nonexistent/flashj-model.gguf: no such file"), r::toString);
            assertTrue(r.err().contains("\tat dev.flashj.model.ModelLoader.open"), r::toString);
        }
    }

    @Test
    void withoutVerboseNoStackTrace() {
        assumeFalse(FailureHandler.verbose(null), "FLASHJ_DEBUG is set: stack traces are wanted");
        CliRun r = CliRun.flashj("inspect", "/nonexistent/flashj-model.gguf");
        assertEquals(1, r.exitCode(), r::toString);
        assertFalse(r.err().contains("\tat "), r::toString);
    }
}
