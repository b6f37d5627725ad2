package dev.flashj.cli;

import dev.flashj.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Option checking of {@code generate} and {@code chat}: out-of-range values are usage errors (exit 2) naming the option. */
class GenerateOptionsTest {

    static CliRun generate(String... args) {
        return CliRun.run(FlashjCommand.configure(new CommandLine(new GenerateCommand())), args);
    }

    static CliRun chat(String input, String... args) {
        ChatCommand command = new ChatCommand(new ByteArrayInputStream(input.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return CliRun.run(FlashjCommand.configure(new CommandLine(command)), args);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "-n|0|--max-tokens",
            "-n|-2|--max-tokens",
            "--top-p|1.5|--top-p",
            "--top-p|0|--top-p",
            "--top-k|-1|--top-k",
            "--min-p|2|--min-p",
            "--temperature|-1|--temperature",
            "--repeat-penalty|0|--repeat-penalty",
            "--repeat-last-n|-5|--repeat-last-n",
            "--threads|0|--threads",
            "--max-context|0|--max-context",
            "--device|tpu|--device",
            "--device|cpu:0:0|--device",
            "--device|opencl:x|--device",
            "--device|cuda:x|--device",
            "--device|cuda:0:1|--device",
            "--device|cpu:0|--device",
            "--temperature|abc|--temperature"})
    void outOfRangeOptionIsAUsageErrorNamingIt(String option, String value, String named) {
        CliRun r = generate("-m", "model.gguf", "-p", "hi", option, value);
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains(named), r::toString);
        assertTrue(r.err().contains(value), r::toString);
        assertEquals("", r.out());
    }

    @Test
    void modelAndPromptAreRequired() {
        CliRun noModel = generate("-p", "hi");
        assertEquals(2, noModel.exitCode(), noModel::toString);
        assertTrue(noModel.err().contains("--model"), noModel::toString);
        CliRun noPrompt = generate("-m", "model.gguf");
        assertEquals(2, noPrompt.exitCode(), noPrompt::toString);
        assertTrue(noPrompt.err().contains("--prompt"), noPrompt::toString);
    }

    @Test
    void emptyStopStringIsAUsageError() {
        CliRun r = generate("-m", "model.gguf", "-p", "hi", "--stop", "");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--stop"), r::toString);
    }

    @Test
    void missingModelFileIsAFailure() {
        CliRun r = generate("-m", "/nonexistent/model.gguf", "-p", "hi");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("/nonexistent/model.gguf"), r::toString);
    }

    @Test
    void unavailableGpuBackendSaysWhy() {
        String model = TestData.require("stories260K.gguf").toString();
        CliRun r = generate("-m", model, "-p", "hi", "--device", "cuda");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("the cuda backend is not available: "), r::toString);
    }

    @Test
    void cudaDeviceAddressIsAcceptedAndAnUnusableGpuSaysWhy() {
        String model = TestData.require("stories260K.gguf").toString();
        CliRun r = generate("-m", model, "-p", "hi", "--device", "cuda:0");
        // A usage error would exit 2; without a usable GPU this is a runtime failure naming the reason.
        if (r.exitCode() != 0) {
            assertEquals(1, r.exitCode(), r::toString);
            assertTrue(r.err().contains("the cuda backend is not available: ")
                    || r.err().contains("the cuda backend cannot use cuda:0"), r::toString);
        }
    }

    @Test
    void openClDeviceThatDoesNotExistIsAFailureNamingIt() {
        String model = TestData.require("stories260K.gguf").toString();
        CliRun r = generate("-m", model, "-p", "hi", "--device", "opencl:7:0");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("opencl:7:0") || r.err().contains("the opencl backend is not available"), r::toString);
    }

    @Test
    void chatRejectsBadOptionsToo() {
        CliRun r = chat("", "-m", "model.gguf", "-n", "0");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--max-tokens"), r::toString);
        CliRun p = chat("", "-m", "model.gguf", "--top-p", "7");
        assertEquals(2, p.exitCode(), p::toString);
        assertTrue(p.err().contains("--top-p"), p::toString);
    }
}
