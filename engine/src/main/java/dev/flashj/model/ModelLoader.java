package dev.flashj.model;

import dev.flashj.FlashjException;
import dev.flashj.format.gguf.GgufModelFile;
import dev.flashj.format.hf.HfModelFile;
import dev.flashj.format.llama2c.Llama2cModelFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Opens a model from a path, choosing the format from what is there. */
public final class ModelLoader {

    private ModelLoader() {
    }

    /**
     * Opens a GGUF file, a Hugging Face checkpoint directory, or a llama2.c {@code .bin} checkpoint.
     *
     * @param path      the model file or directory
     * @param tokenizer a separate tokenizer file; required for llama2.c ({@code tokenizer.bin}), optional for a
     *                  Hugging Face directory (replaces its tokenizer.json), ignored for GGUF
     */
    public static ModelFile open(Path path, Optional<Path> tokenizer) {
        if (Files.isDirectory(path)) {
            return HfModelFile.open(path, tokenizer);
        }
        if (!Files.isRegularFile(path)) {
            throw new FlashjException(path + ": no such file or directory");
        }
        if (hasGgufMagic(path)) {
            return GgufModelFile.open(path);
        }
        if (path.getFileName().toString().endsWith(".bin")) {
            Path tok = tokenizer.orElseThrow(() -> new FlashjException(
                    path + ": a llama2.c checkpoint needs its tokenizer.bin (pass --tokenizer)"));
            return Llama2cModelFile.open(path, tok);
        }
        throw new FlashjException(path + ": not a GGUF file (no 'GGUF' magic), not a Hugging Face"
                + " directory and not a llama2.c .bin checkpoint");
    }

    private static boolean hasGgufMagic(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        } catch (IOException e) {
            throw new FlashjException(path + ": cannot read: " + e.getMessage(), e);
        }
    }
}
