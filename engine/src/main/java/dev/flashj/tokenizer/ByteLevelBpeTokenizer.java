package dev.flashj.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;

/**
 * Byte-level BPE (GPT-2, LLaMA 3, Qwen2): the text is split into words by regular expressions, each
 * word's UTF-8 bytes are spelled with {@link ByteLevelMapping} characters, and listed merges are
 * applied by rank. Decoding maps the characters back to bytes, so it is exact.
 */
public final class ByteLevelBpeTokenizer extends AbstractTokenizer {
    private final RankMergeRule merges;
    private final RegexPreTokenizer preTokenizer;
    private final Options options;
    private final byte[][] decodedBytes;

    /**
     * @param addPrefixSpace put a space before text that does not start with one (ByteLevel add_prefix_space)
     * @param ignoreMerges   a word that is itself a vocabulary piece becomes that token directly (LLaMA 3)
     * @param unicodeNormalization a normal form applied to text first (Qwen2 uses NFC), or null
     * @param source         where the vocabulary came from, for {@link #describe()}
     */
    record Options(boolean addPrefixSpace, boolean ignoreMerges, Normalizer.Form unicodeNormalization, String source) {
    }

    ByteLevelBpeTokenizer(Vocabulary vocabulary, SpecialTokens special, RankMergeRule merges,
                          RegexPreTokenizer preTokenizer, Options options) {
        super(vocabulary, special);
        this.merges = merges;
        this.preTokenizer = preTokenizer;
        this.options = options;
        decodedBytes = new byte[vocabulary.size()][];
        for (int id = 0; id < vocabulary.size(); id++) {
            String piece = vocabulary.piece(id);
            decodedBytes[id] = switch (vocabulary.type(id)) {
                case CONTROL, UNUSED -> new byte[0];
                case USER_DEFINED, UNKNOWN -> piece.getBytes(StandardCharsets.UTF_8);
                case NORMAL, BYTE -> ByteLevelMapping.decode(piece);
            };
        }
    }

    @Override
    void encodeFragment(String fragment, boolean atTextStart, boolean startsSegment, IntList out) {
        String text = fragment;
        if (options.unicodeNormalization() != null) {
            text = Normalizer.normalize(text, options.unicodeNormalization());
        }
        if (options.addPrefixSpace() && startsSegment && !text.startsWith(" ")) {
            text = " " + text;
        }
        for (String word : preTokenizer.split(text)) {
            encodeWord(ByteLevelMapping.encode(word), out);
        }
    }

    private void encodeWord(String mapped, IntList out) {
        if (options.ignoreMerges()) {
            int whole = vocabulary.id(mapped);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        BpeSymbols symbols = new BpeSymbols(mapped);
        for (int i = 0; i < mapped.length(); i++) {
            symbols.add(i, i + 1, vocabulary.id(mapped.substring(i, i + 1)));
        }
        symbols.mergeAll(merges);
        for (int s = symbols.first(); s >= 0; s = symbols.next(s)) {
            int id = symbols.id(s);
            if (id >= 0) {
                out.add(id);
            } else if (special.unknownId() >= 0) {
                out.add(special.unknownId());
            }
        }
    }

    @Override
    byte[] tokenBytes(int id) {
        return decodedBytes[id];
    }

    @Override
    boolean removesLeadingSpace() {
        return false;
    }

    @Override
    public String describe() {
        return "byte-level BPE (" + options.source() + "), " + vocabSize() + " tokens, " + merges.size()
                + " merges, " + describeSpecials();
    }
}
