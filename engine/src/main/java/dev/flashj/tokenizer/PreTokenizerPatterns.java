package dev.flashj.tokenizer;

import java.util.List;
import java.util.Optional;

/** The pre-tokenizer regexes of the byte-level BPE families, by GGUF {@code tokenizer.ggml.pre} name. */
final class PreTokenizerPatterns {
    static final String GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String SINGLE_DIGITS = "\\p{N}";

    private PreTokenizerPatterns() {
    }

    /** The regex chain for a pre-tokenizer name, or empty when the name is not known here. */
    static Optional<List<String>> forName(String name) {
        return Optional.ofNullable(switch (name) {
            case "default", "gpt-2", "gpt2", "mpt", "olmo", "jais" -> List.of(GPT2);
            case "llama-bpe", "llama3", "smaug-bpe", "dbrx" -> List.of(LLAMA3);
            case "qwen2", "deepseek-r1-qwen", "stablelm2" -> List.of(QWEN2);
            case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b" ->
                    List.of(SINGLE_DIGITS, GPT2);
            default -> null;
        });
    }

    static String knownNames() {
        return "default, gpt-2, mpt, olmo, jais, llama-bpe, llama3, smaug-bpe, dbrx, qwen2, deepseek-r1-qwen,"
                + " stablelm2, starcoder, refact, command-r, smollm, codeshell, exaone, minerva-7b";
    }
}
