package dev.flashj.format.gguf;

import dev.flashj.FlashjException;
import dev.flashj.model.ModelFile;

import java.nio.file.Path;

/** Placeholder until the reader lands. */
public final class GgufModelFile {
    private GgufModelFile() {
    }

    public static ModelFile open(Path path) {
        throw new FlashjException("GgufModelFile is not implemented yet");
    }
}
