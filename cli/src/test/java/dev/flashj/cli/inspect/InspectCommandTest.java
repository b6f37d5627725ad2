package dev.flashj.cli.inspect;

import dev.flashj.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inspect's argument handling and failures that need no format reader. */
class InspectCommandTest {

    @TempDir
    Path dir;

    @Test
    void missingFileFailsNamingThePath() {
        Path missing = dir.resolve("no-such-model.gguf");
        CliRun r = CliRun.flashj("inspect", missing.toString());
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().startsWith("flashj: " + missing), r::toString);
        assertEquals("", r.out());
    }

    @Test
    void unknownFormatFailsNamingThePath() throws Exception {
        Path junk = Files.write(dir.resolve("notes.txt"), "not a model\n".getBytes());
        CliRun r = CliRun.flashj("inspect", junk.toString());
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().startsWith("flashj: " + junk + ": not a GGUF file"), r::toString);
    }

    @Test
    void llama2cCheckpointWithoutTokenizerAsksForIt() throws Exception {
        Path bin = Files.write(dir.resolve("model.bin"), new byte[64]);
        CliRun r = CliRun.flashj("inspect", bin.toString());
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--tokenizer"), r::toString);
    }

    @Test
    void noPathIsAUsageError() {
        CliRun r = CliRun.flashj("inspect");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("Missing required parameter: 'PATH'"), r::toString);
        assertTrue(r.err().contains("Try 'flashj inspect --help'"), r::toString);
    }

    @Test
    void tokenizerOptionNeedsAValue() {
        CliRun r = CliRun.flashj("inspect", "model.bin", "--tokenizer");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--tokenizer"), r::toString);
    }

    @Test
    void tensorsAreListedUnlessNoTensors() {
        assertEquals(true, tensorsOption("m.gguf"));
        assertEquals(false, tensorsOption("m.gguf", "--no-tensors"));
        assertEquals(true, tensorsOption("m.gguf", "--tensors"));
    }

    private static Object tensorsOption(String... args) {
        CommandLine commandLine = new CommandLine(new InspectCommand());
        commandLine.parseArgs(args);
        return commandLine.getCommandSpec().findOption("--tensors").getValue();
    }

    @Test
    void twoPathsAreAUsageError() {
        CliRun r = CliRun.flashj("inspect", "a.gguf", "b.gguf");
        assertEquals(2, r.exitCode(), r::toString);
    }
}
