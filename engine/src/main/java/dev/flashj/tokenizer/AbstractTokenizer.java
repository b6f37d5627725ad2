package dev.flashj.tokenizer;

import dev.flashj.FlashjException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What both BPE flavours share: special ids, splitting out special tokens before the text is
 * tokenized, and decoding through each token's bytes (whole sequences and streams).
 */
abstract sealed class AbstractTokenizer implements Tokenizer permits SentencePieceTokenizer, ByteLevelBpeTokenizer {
    protected final Vocabulary vocabulary;
    protected final SpecialTokens special;
    private final SpecialTokenMatcher matcher;

    AbstractTokenizer(Vocabulary vocabulary, SpecialTokens special) {
        this.vocabulary = vocabulary;
        this.special = special;
        this.matcher = new SpecialTokenMatcher(vocabulary);
    }

    /**
     * Tokenizes one fragment of plain text (no special tokens in it).
     *
     * @param atTextStart   true when the fragment starts the text
     * @param startsSegment true at the start of the text and right after a special token
     */
    abstract void encodeFragment(String fragment, boolean atTextStart, boolean startsSegment, IntList out);

    /** The bytes one token stands for when decoding (empty for control tokens). */
    abstract byte[] tokenBytes(int id);

    /** Whether decoding drops the one space the tokenizer put in front of the text (SentencePiece dummy prefix). */
    abstract boolean removesLeadingSpace();

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntList out = new IntList();
        if (addBos && special.bosId() >= 0) {
            out.add(special.bosId());
        }
        boolean[] startsSegment = {true};
        boolean[] atTextStart = {true};
        matcher.split(text, parseSpecial, new SpecialTokenMatcher.Sink() {
            @Override
            public void text(String fragment) {
                encodeFragment(fragment, atTextStart[0], startsSegment[0], out);
                startsSegment[0] = false;
                atTextStart[0] = false;
            }

            @Override
            public void token(int id) {
                out.add(id);
                startsSegment[0] = true;
                atTextStart[0] = false;
            }
        });
        return out.toArray();
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean atStart = true;
        for (int id : ids) {
            byte[] bytes = tokenBytes(checkId(id));
            int from = 0;
            if (atStart && bytes.length > 0) {
                atStart = false;
                if (removesLeadingSpace() && bytes[0] == ' ') {
                    from = 1;
                }
            }
            out.write(bytes, from, bytes.length - from);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public StreamDecoder newStreamDecoder() {
        return new StreamDecoder() {
            private final Utf8Accumulator text = new Utf8Accumulator();
            private boolean first = true;
            private boolean dropSpace;

            @Override
            public String append(int id) {
                byte[] bytes = tokenBytes(checkId(id));
                if (first) {
                    first = false;
                    // a stream that starts at BOS starts at the text's beginning (run.c's rule)
                    dropSpace = removesLeadingSpace() && id == special.bosId();
                }
                if (dropSpace && bytes.length > 0) {
                    dropSpace = false;
                    if (bytes[0] == ' ') {
                        bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
                    }
                }
                text.add(bytes);
                return text.takeComplete();
            }

            @Override
            public String flush() {
                first = true;
                dropSpace = false;
                return text.flush();
            }
        };
    }

    private int checkId(int id) {
        if (!vocabulary.contains(id)) {
            throw new FlashjException("token id " + id + " is out of range: the vocabulary has "
                    + vocabulary.size() + " tokens");
        }
        return id;
    }

    @Override
    public int vocabSize() {
        return vocabulary.size();
    }

    @Override
    public String piece(int id) {
        return vocabulary.piece(checkId(id));
    }

    /** The type of one token. */
    public TokenType tokenType(int id) {
        return vocabulary.type(checkId(id));
    }

    /** The id of a vocabulary piece spelled exactly as stored, if there is one. */
    public Optional<Integer> idOf(String piece) {
        int id = vocabulary.id(piece);
        return id < 0 ? Optional.empty() : Optional.of(id);
    }

    @Override
    public int bosId() {
        return special.bosId();
    }

    @Override
    public int eosId() {
        return special.eosId();
    }

    @Override
    public boolean addBosByDefault() {
        return special.addBos();
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return special.isEndOfGeneration(id);
    }

    @Override
    public Optional<String> chatTemplate() {
        return special.chatTemplate();
    }

    /** "BOS 1 '<s>', EOS 2 '</s>'" and the like, for {@link #describe()}. */
    String describeSpecials() {
        StringBuilder sb = new StringBuilder();
        sb.append("BOS ").append(describeId(special.bosId()));
        sb.append(", EOS ").append(describeId(special.eosId()));
        if (special.endOfGeneration().length > 1) {
            sb.append(", end of generation ").append(java.util.Arrays.toString(special.endOfGeneration()));
        }
        sb.append(special.addBos() ? ", adds BOS" : ", no BOS");
        return sb.toString();
    }

    private String describeId(int id) {
        return id < 0 ? "none" : id + " '" + vocabulary.piece(id) + "'";
    }
}
