package dev.flashj.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Optional;

/** Picocli mixin: which model to load ({@code -m}, {@code --tokenizer}, {@code --max-context}). */
public final class ModelOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
            description = "A GGUF file, a Hugging Face checkpoint directory or a llama2.c .bin checkpoint.")
    private Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "Tokenizer file: required for a llama2.c checkpoint (tokenizer.bin);"
                    + " for a Hugging Face directory it replaces tokenizer.json.")
    private Path tokenizer;

    private int maxContext;

    @Option(names = "--max-context", paramLabel = "N",
            description = "Most tokens (prompt + generated) to hold; default: the model's context length,"
                    + " at most 4096.")
    void setMaxContext(int value) {
        if (value < 1) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '--max-context': must be >= 1, was " + value);
        }
        maxContext = value;
    }

    public Path model() {
        return model;
    }

    public Optional<Path> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** 0 when not given (the model's own, capped). */
    public int maxContext() {
        return maxContext;
    }
}
