package dev.flashj.api;

import dev.flashj.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Test fixture: a character-level tokenizer. Ids 0..2 are &lt;unk&gt;, BOS, EOS; then one id per
 * character of {@link #ALPHABET}; then two byte tokens 0xC3 and 0xA9 (together "é") so streaming
 * has to hold back an incomplete UTF-8 character. "&lt;/s&gt;" in a prompt is EOS when special
 * tokens are parsed.
 */
final class CharTokenizer implements Tokenizer {
    static final String ALPHABET = " abcdefghijklmnopqrstuvwxyz.,!\n:<>/|ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static final int BOS = 1;
    static final int EOS = 2;
    static final int FIRST_CHAR = 3;
    static final int BYTE_C3 = FIRST_CHAR + ALPHABET.length();
    static final int BYTE_A9 = BYTE_C3 + 1;
    static final int VOCAB = BYTE_A9 + 1;

    private final boolean addBos;

    CharTokenizer(boolean addBos) {
        this.addBos = addBos;
    }

    static int id(char c) {
        int at = ALPHABET.indexOf(c);
        if (at < 0) {
            throw new IllegalArgumentException("not in the fixture alphabet: " + c);
        }
        return FIRST_CHAR + at;
    }

    static int[] ids(String text) {
        return text.chars().map(c -> id((char) c)).toArray();
    }

    @Override
    public int vocabSize() {
        return VOCAB;
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        if (addBos) {
            out.add(BOS);
        }
        for (int i = 0; i < text.length(); i++) {
            if (parseSpecial && text.startsWith("</s>", i)) {
                out.add(EOS);
                i += 3;
            } else if (text.charAt(i) == 'é') {
                out.add(BYTE_C3);
                out.add(BYTE_A9);
            } else {
                out.add(id(text.charAt(i)));
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] ids) {
        StreamDecoder d = newStreamDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(d.append(id));
        }
        return sb.append(d.flush()).toString();
    }

    @Override
    public String piece(int id) {
        if (id == BYTE_C3 || id == BYTE_A9) {
            return id == BYTE_C3 ? "<0xC3>" : "<0xA9>";
        }
        return switch (id) {
            case 0 -> "<unk>";
            case BOS -> "<s>";
            case EOS -> "</s>";
            default -> String.valueOf(ALPHABET.charAt(id - FIRST_CHAR));
        };
    }

    @Override
    public int bosId() {
        return BOS;
    }

    @Override
    public int eosId() {
        return EOS;
    }

    @Override
    public boolean addBosByDefault() {
        return addBos;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return id == EOS;
    }

    @Override
    public StreamDecoder newStreamDecoder() {
        return new StreamDecoder() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public String append(int id) {
                if (id < FIRST_CHAR) {
                    return "";
                }
                if (id == BYTE_C3 || id == BYTE_A9) {
                    pending.write(id == BYTE_C3 ? 0xC3 : 0xA9);
                    return pending.size() == 2 ? flush() : "";
                }
                return flush() + ALPHABET.charAt(id - FIRST_CHAR);
            }

            @Override
            public String flush() {
                String s = pending.toString(StandardCharsets.UTF_8);
                pending.reset();
                return s;
            }
        };
    }

    @Override
    public String describe() {
        return "fixture character tokenizer, " + VOCAB + " tokens";
    }
}
