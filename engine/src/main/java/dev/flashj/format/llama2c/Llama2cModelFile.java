package dev.flashj.format.llama2c;

import dev.flashj.FlashjException;
import dev.flashj.model.ModelFile;

import java.nio.file.Path;

/** Placeholder until the reader lands. */
public final class Llama2cModelFile {
    private Llama2cModelFile() {
    }

    public static ModelFile open(Path checkpoint, Path tokenizer) {
        throw new FlashjException("Llama2cModelFile is not implemented yet");
    }
}
