package dev.flashj.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The pieces of a vocabulary with their types, and the reverse lookup from piece to id. When a piece
 * occurs twice the lower id wins (as in llama.cpp and Hugging Face). Immutable.
 */
final class Vocabulary {
    private final String[] pieces;
    private final TokenType[] types;
    private final Map<String, Integer> ids;

    Vocabulary(String[] pieces, TokenType[] types) {
        if (pieces.length != types.length) {
            throw new IllegalArgumentException("pieces and types differ in length");
        }
        this.pieces = pieces.clone();
        this.types = types.clone();
        this.ids = HashMap.newHashMap(pieces.length);
        for (int i = pieces.length - 1; i >= 0; i--) {
            if (pieces[i] != null) {
                ids.put(pieces[i], i);
            }
        }
    }

    int size() {
        return pieces.length;
    }

    String piece(int id) {
        return pieces[id];
    }

    TokenType type(int id) {
        return types[id];
    }

    /** The id of a piece, or -1. */
    int id(String piece) {
        Integer id = ids.get(piece);
        return id == null ? -1 : id;
    }

    boolean contains(int id) {
        return id >= 0 && id < pieces.length;
    }

    long count(TokenType type) {
        return Arrays.stream(types).filter(t -> t == type).count();
    }
}
