package dev.flashj.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GlobalOptionsTest {

    @Test
    void versionPrintsFlashjAndJavaVersions() {
        CliRun r = CliRun.flashj("--version");
        assertEquals(0, r.exitCode(), r::toString);
        String firstLine = r.out().lines().findFirst().orElseThrow();
        assertTrue(firstLine.matches("flashj \\d+\\.\\d+\\.\\d+.*"), firstLine);
        assertEquals(VersionProvider.flashjVersion(), firstLine.substring("flashj ".length()));
        assertTrue(r.out().contains("Java " + Runtime.version()), r::toString);
        assertEquals("", r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "inspect", "devices"})
    void helpOnRootAndEverySubcommandExitsZero(String subcommand) {
        String[] args = subcommand.isEmpty() ? new String[] {"--help"} : new String[] {subcommand, "--help"};
        CliRun r = CliRun.flashj(args);
        assertEquals(0, r.exitCode(), r::toString);
        String usage = "Usage: flashj" + (subcommand.isEmpty() ? "" : " " + subcommand);
        assertTrue(r.out().startsWith(usage), r::toString);
        assertTrue(r.out().contains("Exit codes:"), r::toString);
    }

    @Test
    void rootHelpListsEverySubcommand() {
        CliRun r = CliRun.flashj("-h");
        for (String sub : FlashjCommand.newCommandLine().getSubcommands().keySet()) {
            assertTrue(r.out().contains("  " + sub + " "), sub + " missing from\n" + r.out());
        }
    }

    @Test
    void unknownOptionIsAUsageError() {
        CliRun r = CliRun.flashj("--no-such-option");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--no-such-option"), r::toString);
        assertTrue(r.err().contains("Try 'flashj --help'"), r::toString);
        assertEquals("", r.out());
    }

    @Test
    void unknownSubcommandOptionIsAUsageError() {
        CliRun r = CliRun.flashj("devices", "--bogus");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--bogus"), r::toString);
        assertTrue(r.err().contains("Try 'flashj devices --help'"), r::toString);
    }

    @Test
    void unknownSubcommandIsAUsageError() {
        CliRun r = CliRun.flashj("frobnicate");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().startsWith("flashj: unknown command 'frobnicate'"), r::toString);
    }

    @Test
    void misspelledSubcommandGetsASuggestion() {
        CliRun r = CliRun.flashj("inspekt", "x.gguf");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("inspect"), r::toString);
    }

    @Test
    void noSubcommandIsAUsageError() {
        CliRun r = CliRun.flashj();
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("a command is required"), r::toString);
    }
}
