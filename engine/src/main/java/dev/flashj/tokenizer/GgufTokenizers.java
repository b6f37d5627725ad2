package dev.flashj.tokenizer;

import dev.flashj.FlashjException;
import dev.flashj.format.gguf.GgufMetadata;

import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Builds a tokenizer from GGUF {@code tokenizer.ggml.*} metadata: {@code model = "llama"} is
 * SentencePiece BPE ranked by {@code scores}; {@code model = "gpt2"} is byte-level BPE with
 * {@code merges} and the pre-tokenizer named by {@code pre}.
 */
public final class GgufTokenizers {
    private static final String PREFIX = "tokenizer.ggml.";
    /** GGUF writers store "no such token" as uint32 -1. */
    private static final long NO_TOKEN = 0xFFFFFFFFL;

    private GgufTokenizers() {
    }

    public static Tokenizer fromMetadata(GgufMetadata metadata) {
        String model = metadata.getString(PREFIX + "model");
        return switch (model) {
            case "llama" -> sentencePiece(metadata);
            case "gpt2" -> byteLevel(metadata);
            default -> throw FlashjException.badFile(metadata.file(), PREFIX + "model",
                    "tokenizer model \"" + model + "\" is not supported (only \"llama\" and \"gpt2\")");
        };
    }

    private static SentencePieceTokenizer sentencePiece(GgufMetadata md) {
        String[] tokens = tokens(md);
        float[] scores = md.getFloatArray(PREFIX + "scores");
        checkLength(md, "scores", scores.length, tokens.length);
        Vocabulary vocabulary = new Vocabulary(tokens, types(md, tokens, 0, 1, 2));
        SpecialTokens special = specialTokens(md, vocabulary, 1, 2, 0, true);
        boolean prefix = md.findBool(PREFIX + "add_space_prefix").orElse(true);
        return new SentencePieceTokenizer(vocabulary, special, new ScoreMergeRule(vocabulary, scores),
                new SentencePieceTokenizer.Options(prefix, true, false, false, null, "GGUF"));
    }

    private static ByteLevelBpeTokenizer byteLevel(GgufMetadata md) {
        String[] tokens = tokens(md);
        Vocabulary vocabulary = new Vocabulary(tokens, types(md, tokens, -1, -1, -1));
        String[] merges = md.getStringArray(PREFIX + "merges");
        RankMergeRule.Builder rules = new RankMergeRule.Builder(merges.length);
        for (int i = 0; i < merges.length; i++) {
            String merge = merges[i];
            int space = merge.indexOf(' ', 1);
            String field = PREFIX + "merges[" + i + "]";
            if (space < 0) {
                throw FlashjException.badFile(md.file(), field, "expected \"left right\", found \"" + merge + "\"");
            }
            String left = merge.substring(0, space);
            String right = merge.substring(space + 1);
            rules.add(requirePiece(md, vocabulary, left, field), requirePiece(md, vocabulary, right, field),
                    requirePiece(md, vocabulary, left + right, field));
        }
        String pre = md.findString(PREFIX + "pre").orElse("default");
        var regexes = PreTokenizerPatterns.forName(pre).orElseThrow(() -> FlashjException.badFile(md.file(),
                PREFIX + "pre", "pre-tokenizer \"" + pre + "\" is not supported (known: "
                        + PreTokenizerPatterns.knownNames() + ")"));
        boolean ignoreMerges = pre.equals("llama-bpe") || pre.equals("llama3");
        SpecialTokens special = specialTokens(md, vocabulary, -1, -1, -1, false);
        return new ByteLevelBpeTokenizer(vocabulary, special, rules.build(), new RegexPreTokenizer(regexes),
                new ByteLevelBpeTokenizer.Options(false, ignoreMerges, null, "GGUF, pre " + pre));
    }

    private static String[] tokens(GgufMetadata md) {
        String[] tokens = md.getStringArray(PREFIX + "tokens");
        if (tokens.length == 0) {
            throw FlashjException.badFile(md.file(), PREFIX + "tokens", "the vocabulary is empty");
        }
        return tokens;
    }

    private static void checkLength(GgufMetadata md, String key, int length, int expected) {
        if (length != expected) {
            throw FlashjException.badFile(md.file(), PREFIX + key, "has " + length + " entries but "
                    + PREFIX + "tokens has " + expected);
        }
    }

    /** Token types as stored, or inferred from the special ids and {@code <0xNN>} spelling when absent. */
    private static TokenType[] types(GgufMetadata md, String[] tokens, int defaultUnk, int defaultBos, int defaultEos) {
        TokenType[] types = new TokenType[tokens.length];
        if (md.has(PREFIX + "token_type")) {
            long[] codes = md.getIntegerArray(PREFIX + "token_type");
            checkLength(md, "token_type", codes.length, tokens.length);
            for (int i = 0; i < codes.length; i++) {
                types[i] = TokenType.fromGgufCode(codes[i]);
                if (types[i] == null) {
                    throw FlashjException.badFile(md.file(), PREFIX + "token_type[" + i + "]",
                            "unknown token type " + codes[i]);
                }
            }
            return types;
        }
        int unk = tokenId(md, "unknown_token_id", defaultUnk, tokens.length);
        int bos = tokenId(md, "bos_token_id", defaultBos, tokens.length);
        int eos = tokenId(md, "eos_token_id", defaultEos, tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            types[i] = i == unk ? TokenType.UNKNOWN : i == bos || i == eos ? TokenType.CONTROL
                    : defaultBos >= 0 && SentencePieceTokenizer.byteValue(tokens[i]) != null ? TokenType.BYTE
                    : TokenType.NORMAL;
        }
        return types;
    }

    private static SpecialTokens specialTokens(GgufMetadata md, Vocabulary vocabulary, int defaultBos,
                                               int defaultEos, int defaultUnk, boolean defaultAddBos) {
        int n = vocabulary.size();
        int bos = tokenId(md, "bos_token_id", defaultBos, n);
        int eos = tokenId(md, "eos_token_id", defaultEos, n);
        int unk = tokenId(md, "unknown_token_id", defaultUnk, n);
        IntStream.Builder ends = IntStream.builder();
        ends.add(eos);
        ends.add(tokenId(md, "eot_token_id", -1, n));
        ends.add(tokenId(md, "eom_token_id", -1, n));
        KnownTokens.endOfGenerationIds(vocabulary).forEach(ends::add);
        boolean addBos = md.findBool(PREFIX + "add_bos_token").orElse(defaultAddBos) && bos >= 0;
        Optional<String> template = md.findString("tokenizer.chat_template");
        return new SpecialTokens(bos, eos, unk, addBos, ends.build().toArray(), template);
    }

    /** An optional token id: absent gives the default, uint32 -1 gives none, anything else must be in range. */
    private static int tokenId(GgufMetadata md, String key, int defaultId, int vocabSize) {
        String field = PREFIX + key;
        if (!md.has(field)) {
            return defaultId < vocabSize ? defaultId : -1;
        }
        long id = md.getLong(field);
        if (id == NO_TOKEN || id == -1) {
            return -1;
        }
        if (id < 0 || id >= vocabSize) {
            throw FlashjException.badFile(md.file(), field, "token id " + id + " is out of range (the vocabulary has "
                    + vocabSize + " tokens)");
        }
        return (int) id;
    }

    private static int requirePiece(GgufMetadata md, Vocabulary vocabulary, String piece, String field) {
        int id = vocabulary.id(piece);
        if (id < 0) {
            throw FlashjException.badFile(md.file(), field, "piece \"" + piece + "\" is not in " + PREFIX + "tokens");
        }
        return id;
    }
}
