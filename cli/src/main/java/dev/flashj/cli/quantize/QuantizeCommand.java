package dev.flashj.cli.quantize;

import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelLoader;
import dev.flashj.quant.GgufConverter;
import dev.flashj.quant.QuantType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code flashj quantize}: any supported checkpoint to a GGUF file with quantized matrices. */
@Command(name = "quantize",
        sortOptions = false,
        description = {"Convert a GGUF file, a Hugging Face checkpoint directory or a llama2.c checkpoint into a GGUF"
                + " file whose matrices are quantized (1-D tensors stay F32). q8_0, q4_0 and q4_k files are read by"
                + " llama.cpp too; int4-g128, int4-g32 and fp8 are FlashJ formats (see docs/quantization.md).",
                "The output is written under a temporary name and renamed when complete."})
public final class QuantizeCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
            description = "A GGUF file, a Hugging Face checkpoint directory or a llama2.c .bin checkpoint.")
    private Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "Tokenizer file: required for a llama2.c checkpoint (tokenizer.bin);"
                    + " for a Hugging Face directory it replaces tokenizer.json.")
    private Path tokenizer;

    @Option(names = {"-t", "--type"}, required = true, paramLabel = "TYPE", converter = QuantTypeConverter.class,
            completionCandidates = QuantTypeConverter.class,
            description = "One of: ${COMPLETION-CANDIDATES}.")
    private QuantType type;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The GGUF file to write.")
    private Path output;

    @Option(names = "--calibration", paramLabel = "TEXT",
            description = "For int4-g128/int4-g32: a sample text (a few sentences like the model's use) run through the"
                    + " unquantized model; its activations smooth the weights (SmoothQuant+) and weight the INT4 fit."
                    + " Ignored by the other types.")
    private String calibration;

    @Override
    public Integer call() {
        if (calibration != null && calibration.isBlank()) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--calibration': the text is empty");
        }
        Path out = output.toAbsolutePath();
        Path parent = out.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--output': directory " + parent
                    + " does not exist");
        }
        if (Files.isDirectory(out)) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--output': " + out
                    + " is a directory");
        }
        if (Files.exists(model) && Files.exists(out) && sameFile(model, out)) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--output': " + out
                    + " is the input model itself");
        }
        PrintWriter err = spec.commandLine().getErr();
        GgufConverter.Result result;
        try (ModelFile in = ModelLoader.open(model, Optional.ofNullable(tokenizer))) {
            err.println("quantizing " + in.path() + " (" + in.format() + ") to " + type.cliName());
            result = GgufConverter.convert(in, type, Optional.ofNullable(calibration), out, new ProgressBar(err));
        }
        String types = result.tensorsByType().entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey().displayName())
                .collect(Collectors.joining(", "));
        spec.commandLine().getOut().printf("wrote %s: %d bytes, tensors: %s%n", result.output(), result.bytes(), types);
        return 0;
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
