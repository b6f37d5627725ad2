package dev.flashj.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds special and user-defined tokens spelled in text, so that they become their ids before the
 * rest is tokenized. User-defined tokens are always matched; control (and unknown) tokens only when
 * special tokens are parsed (llama.cpp's rule). At each position the longest match wins.
 */
final class SpecialTokenMatcher {

    /** Receives the pieces of the text in order: plain text fragments and matched token ids. */
    interface Sink {
        void text(String fragment);

        void token(int id);
    }

    private record Entry(String text, int id, boolean onlyWhenParsingSpecial) {
    }

    private final Map<Character, List<Entry>> byFirstChar = new HashMap<>();

    SpecialTokenMatcher(Vocabulary vocabulary) {
        for (int id = 0; id < vocabulary.size(); id++) {
            TokenType type = vocabulary.type(id);
            String piece = vocabulary.piece(id);
            if (piece == null || piece.isEmpty()) {
                continue;
            }
            if (type == TokenType.CONTROL || type == TokenType.UNKNOWN || type == TokenType.USER_DEFINED) {
                byFirstChar.computeIfAbsent(piece.charAt(0), c -> new ArrayList<>())
                        .add(new Entry(piece, id, type.matchedOnlyWhenParsingSpecial()));
            }
        }
        Comparator<Entry> longestFirst = Comparator.comparingInt((Entry e) -> e.text.length()).reversed()
                .thenComparingInt(e -> e.id);
        byFirstChar.values().forEach(list -> list.sort(longestFirst));
    }

    void split(String text, boolean parseSpecial, Sink sink) {
        int fragmentStart = 0;
        int i = 0;
        while (i < text.length()) {
            Entry match = matchAt(text, i, parseSpecial);
            if (match == null) {
                i++;
                continue;
            }
            if (i > fragmentStart) {
                sink.text(text.substring(fragmentStart, i));
            }
            sink.token(match.id);
            i += match.text.length();
            fragmentStart = i;
        }
        if (fragmentStart < text.length()) {
            sink.text(text.substring(fragmentStart));
        }
    }

    private Entry matchAt(String text, int at, boolean parseSpecial) {
        List<Entry> candidates = byFirstChar.get(text.charAt(at));
        if (candidates == null) {
            return null;
        }
        for (Entry e : candidates) {
            if ((parseSpecial || !e.onlyWhenParsingSpecial) && text.startsWith(e.text, at)) {
                return e;
            }
        }
        return null;
    }
}
