package dev.flashj.tokenizer;

import java.util.Set;
import java.util.stream.IntStream;

/** Pieces that conventionally end a turn or a document, found by text as llama.cpp does. */
final class KnownTokens {
    static final Set<String> END_OF_GENERATION = Set.of(
            "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<|endoftext|>", "<|end_of_text|>",
            "<end_of_turn>", "<EOT>", "<|end▁of▁sentence|>");

    private KnownTokens() {
    }

    /** Ids of control or user-defined tokens spelled as one of {@link #END_OF_GENERATION}. */
    static IntStream endOfGenerationIds(Vocabulary vocabulary) {
        return IntStream.range(0, vocabulary.size())
                .filter(id -> vocabulary.type(id) == TokenType.CONTROL || vocabulary.type(id) == TokenType.USER_DEFINED)
                .filter(id -> END_OF_GENERATION.contains(vocabulary.piece(id)));
    }
}
