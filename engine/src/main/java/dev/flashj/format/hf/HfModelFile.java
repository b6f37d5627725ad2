package dev.flashj.format.hf;

import dev.flashj.FlashjException;
import dev.flashj.model.ModelFile;

import java.nio.file.Path;

/** Placeholder until the reader lands. */
public final class HfModelFile {
    private HfModelFile() {
    }

    public static ModelFile open(Path path) {
        throw new FlashjException("HfModelFile is not implemented yet");
    }
}
