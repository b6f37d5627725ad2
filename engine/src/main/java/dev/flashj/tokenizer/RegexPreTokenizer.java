package dev.flashj.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words with a chain of regular expressions, as llama.cpp and Hugging Face's
 * {@code Split(behavior=Isolated)} do: each pattern splits every piece from the previous one into its
 * matches and the text between them. Patterns use Unicode classes ({@code \s} is Unicode white space).
 */
final class RegexPreTokenizer {
    private final List<Pattern> patterns;
    private final List<String> sources;

    RegexPreTokenizer(List<String> regexes) {
        this.sources = List.copyOf(regexes);
        this.patterns = regexes.stream().map(r -> Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS)).toList();
    }

    List<String> split(String text) {
        List<String> pieces = List.of(text);
        for (Pattern pattern : patterns) {
            List<String> next = new ArrayList<>();
            for (String piece : pieces) {
                splitOne(pattern, piece, next);
            }
            pieces = next;
        }
        return pieces;
    }

    private static void splitOne(Pattern pattern, String text, List<String> out) {
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() == m.end()) {
                continue; // an empty match splits nothing
            }
            if (m.start() > last) {
                out.add(text.substring(last, m.start()));
            }
            out.add(text.substring(m.start(), m.end()));
            last = m.end();
        }
        if (last < text.length()) {
            out.add(text.substring(last));
        }
    }

    List<String> regexes() {
        return sources;
    }
}
