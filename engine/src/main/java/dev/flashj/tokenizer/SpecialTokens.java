package dev.flashj.tokenizer;

import java.util.Arrays;
import java.util.Optional;

/**
 * The special ids and flags of a tokenizer: BOS/EOS/UNK ids (-1 when absent), whether prompts start
 * with BOS, the ids that end a generation, and the chat template when the source has one.
 */
record SpecialTokens(int bosId, int eosId, int unknownId, boolean addBos, int[] endOfGeneration,
                     Optional<String> chatTemplate) {

    SpecialTokens {
        endOfGeneration = Arrays.stream(endOfGeneration).filter(id -> id >= 0).distinct().sorted().toArray();
    }

    boolean isEndOfGeneration(int id) {
        return Arrays.binarySearch(endOfGeneration, id) >= 0;
    }
}
