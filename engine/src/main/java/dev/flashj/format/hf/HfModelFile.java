package dev.flashj.format.hf;

import dev.flashj.FlashjException;
import dev.flashj.model.ModelFile;

import java.nio.file.Path;
import java.util.Optional;

/** Placeholder until the reader lands. */
public final class HfModelFile {
    private HfModelFile() {
    }

    /** Opens a checkpoint directory; {@code tokenizer} overrides the directory's tokenizer.json. */
    public static ModelFile open(Path dir, Optional<Path> tokenizer) {
        throw new FlashjException("HfModelFile is not implemented yet");
    }
}
