package dev.flashj.tokenizer;

import dev.flashj.FlashjException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Loads tokenizers from files and checkpoint directories, choosing the format from the content. */
public final class TokenizerLoader {
    private TokenizerLoader() {
    }

    /**
     * Loads a tokenizer file: a Hugging Face {@code tokenizer.json} (with the {@code tokenizer_config.json}
     * beside it, when there is one), a GGUF file's vocabulary, or a llama2.c {@code tokenizer.bin}
     * (which does not store its size: {@code vocabSize} gives it). A directory is read as a Hugging Face
     * checkpoint ({@link #fromHfDirectory}).
     */
    public static Tokenizer load(Path file, int vocabSize) {
        if (Files.isDirectory(file)) {
            return fromHfDirectory(file);
        }
        if (!Files.isRegularFile(file)) {
            throw new FlashjException(file + ": no such tokenizer file");
        }
        byte[] head = readHead(file);
        if (head.length >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') {
            return GgufTokenizerFile.load(file);
        }
        if (file.getFileName().toString().endsWith(".json") || startsLikeJson(head)) {
            Path dir = file.toAbsolutePath().getParent();
            return HfTokenizerReader.read(file, Optional.of(dir.resolve("tokenizer_config.json")),
                    Optional.of(dir.resolve("generation_config.json")));
        }
        return Llama2cTokenizerReader.read(file, vocabSize);
    }

    /**
     * Loads {@code tokenizer.json} from a checkpoint directory, with {@code tokenizer_config.json}
     * (BOS/EOS, add_bos_token, chat_template) and {@code generation_config.json} (end ids) when present.
     */
    public static Tokenizer fromHfDirectory(Path dir) {
        Path json = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new FlashjException(dir + ": no tokenizer.json in this directory (only BPE tokenizer.json"
                    + " files are supported; pass a tokenizer file explicitly otherwise)");
        }
        return HfTokenizerReader.read(json, Optional.of(dir.resolve("tokenizer_config.json")),
                Optional.of(dir.resolve("generation_config.json")));
    }

    private static byte[] readHead(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(64);
        } catch (IOException e) {
            throw new FlashjException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static boolean startsLikeJson(byte[] head) {
        for (byte b : head) {
            if (b == '{') {
                return true;
            }
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t' && (b & 0xFF) != 0xEF && (b & 0xFF) != 0xBB
                    && (b & 0xFF) != 0xBF) {
                return false;
            }
        }
        return false;
    }
}
