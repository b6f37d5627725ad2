package dev.flashj.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;

/**
 * SentencePiece-style BPE (LLaMA 1/2, Mistral, TinyLlama): spaces become {@code ▁}, a {@code ▁} is put
 * in front of the text (the dummy prefix), and symbols that start as single characters are merged by
 * a {@link MergeRule} (scores for GGUF and llama2.c, merge ranks for Hugging Face). Characters without
 * a piece fall back to {@code <0xNN>} byte tokens.
 */
public final class SentencePieceTokenizer extends AbstractTokenizer {
    static final char SPACE_MARK = '\u2581';

    private final MergeRule mergeRule;
    private final Options options;
    private final int[] byteTokenIds = new int[256];
    private final byte[][] decodedBytes;

    /**
     * How text is prepared before BPE.
     *
     * @param addSpacePrefix       put {@code ▁} before the text
     * @param prefixAfterSpecialTokens also put it after each special token (llama.cpp; Hugging Face's
     *                             Prepend normalizer), not only at the start (Metaspace "first")
     * @param bytesBeforeMerging   replace unknown characters by byte tokens before merging (Hugging Face)
     *                             rather than after (llama.cpp, llama2.c)
     * @param splitAtSpaceMarks    split the text into words before each {@code ▁} (Metaspace with split)
     * @param unicodeNormalization a normal form applied first, or null
     * @param source               where the vocabulary came from, for {@link #describe()}
     */
    record Options(boolean addSpacePrefix, boolean prefixAfterSpecialTokens, boolean bytesBeforeMerging, boolean splitAtSpaceMarks,
                   Normalizer.Form unicodeNormalization, String source) {
    }

    SentencePieceTokenizer(Vocabulary vocabulary, SpecialTokens special, MergeRule mergeRule, Options options) {
        super(vocabulary, special);
        this.mergeRule = mergeRule;
        this.options = options;
        for (int b = 0; b < 256; b++) {
            byteTokenIds[b] = vocabulary.id(String.format("<0x%02X>", b));
        }
        decodedBytes = new byte[vocabulary.size()][];
        for (int id = 0; id < vocabulary.size(); id++) {
            decodedBytes[id] = bytesOf(vocabulary, id);
        }
    }

    private static byte[] bytesOf(Vocabulary vocabulary, int id) {
        String piece = vocabulary.piece(id);
        return switch (vocabulary.type(id)) {
            case CONTROL, UNUSED -> new byte[0];
            case BYTE -> {
                Integer value = byteValue(piece);
                yield value == null ? piece.getBytes(StandardCharsets.UTF_8) : new byte[] {(byte) (int) value};
            }
            case NORMAL, UNKNOWN, USER_DEFINED -> piece.replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
        };
    }

    /** The byte of a {@code <0xNN>} piece, or null for any other piece. */
    static Integer byteValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return null;
        }
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? null : hi * 16 + lo;
    }

    @Override
    void encodeFragment(String fragment, boolean atTextStart, boolean startsSegment, IntList out) {
        String text = fragment;
        if (options.unicodeNormalization() != null) {
            text = Normalizer.normalize(text, options.unicodeNormalization());
        }
        if (options.addSpacePrefix() && (options.prefixAfterSpecialTokens() ? startsSegment : atTextStart)) {
            text = " " + text;
        }
        text = text.replace(' ', SPACE_MARK);
        if (!options.splitAtSpaceMarks()) {
            encodeWord(text, out);
            return;
        }
        int wordStart = 0;
        for (int i = 1; i <= text.length(); i++) {
            if (i == text.length() || text.charAt(i) == SPACE_MARK) {
                encodeWord(text.substring(wordStart, i), out);
                wordStart = i;
            }
        }
    }

    private void encodeWord(String word, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        BpeSymbols symbols = new BpeSymbols(word);
        for (int i = 0; i < word.length(); ) {
            int end = i + Character.charCount(word.codePointAt(i));
            int id = vocabulary.id(word.substring(i, end));
            if (id < 0 && options.bytesBeforeMerging()) {
                addByteSymbols(word, i, end, symbols);
            } else {
                symbols.add(i, end, id);
            }
            i = end;
        }
        symbols.mergeAll(mergeRule);
        for (int s = symbols.first(); s >= 0; s = symbols.next(s)) {
            int id = symbols.id(s);
            if (id >= 0) {
                out.add(id);
            } else {
                appendBytes(word.substring(symbols.start(s), symbols.end(s)), out);
            }
        }
    }

    private void addByteSymbols(String word, int from, int to, BpeSymbols symbols) {
        byte[] bytes = word.substring(from, to).getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteTokenIds[b & 0xFF] < 0) {
                symbols.add(from, to, special.unknownId());
                return;
            }
        }
        for (byte b : bytes) {
            symbols.add(from, to, byteTokenIds[b & 0xFF]);
        }
    }

    private void appendBytes(String text, IntList out) {
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int id = byteTokenIds[b & 0xFF];
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
        return options.addSpacePrefix();
    }

    /** Whether this tokenizer puts a {@code ▁} in front of the text. */
    MergeRule mergeRule() {
        return mergeRule;
    }

    public boolean addsSpacePrefix() {
        return options.addSpacePrefix();
    }

    @Override
    public String describe() {
        return "SentencePiece BPE (" + options.source() + "), " + vocabSize() + " tokens, " + describeSpecials();
    }
}
