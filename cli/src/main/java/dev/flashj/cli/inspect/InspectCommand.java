package dev.flashj.cli.inspect;

import dev.flashj.cli.Json;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code flashj inspect}: what a model file holds, as text or JSON. */
@Command(name = "inspect",
        description = "Show a model's format, hyper-parameters, tokenizer, metadata and tensors.")
public final class InspectCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PATH",
            description = "A GGUF file, a Hugging Face checkpoint directory (config.json + *.safetensors)"
                    + " or a llama2.c .bin checkpoint.")
    private Path path;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "Tokenizer file: required for a llama2.c checkpoint (tokenizer.bin);"
                    + " for a Hugging Face directory it replaces tokenizer.json.")
    private Path tokenizer;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    private boolean json;

    @Option(names = "--tensors", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "List every tensor (default); --no-tensors prints only the totals.")
    private boolean tensors;

    @Override
    public Integer call() {
        ModelSummary summary;
        // The summary copies what it needs, so the model (and its mapped file) can be closed before printing.
        try (ModelFile model = ModelLoader.open(path, Optional.ofNullable(tokenizer))) {
            summary = ModelSummary.of(model, tensors);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.write(out, summary);
        } else {
            new InspectTextWriter(out).write(summary);
        }
        return 0;
    }
}
