package dev.flashj.tokenizer;

import dev.flashj.FlashjException;
import dev.flashj.format.gguf.GgufArray;
import dev.flashj.format.gguf.GgufValueType;
import dev.flashj.format.gguf.GgufWriter;

/**
 * Writes a SentencePiece tokenizer as GGUF {@code tokenizer.ggml.*} metadata ({@code model =
 * "llama"}), the inverse of {@link GgufTokenizers}. Score-ranked vocabularies (GGUF, llama2.c) keep
 * their scores. A merge-ranked vocabulary (Hugging Face tokenizer.json) gets score {@code -rank} for
 * the piece each merge produces, so llama.cpp's "highest score first" merges in the same order;
 * pieces no merge produces get {@link #UNMERGED_SCORE}, last in line.
 */
public final class GgufTokenizerExport {
    /** Score of pieces that no merge rule produces (characters, bytes, special tokens). */
    static final float UNMERGED_SCORE = -1e9f;
    private static final String PREFIX = "tokenizer.ggml.";

    private GgufTokenizerExport() {
    }

    /**
     * Adds the tokenizer's keys to {@code writer}.
     *
     * @throws FlashjException for tokenizers GGUF export does not cover yet (byte-level BPE)
     */
    public static void write(Tokenizer tokenizer, GgufWriter writer) {
        if (!(tokenizer instanceof SentencePieceTokenizer spm)) {
            throw new FlashjException("writing a " + tokenizer.describe() + " tokenizer to GGUF is not supported yet"
                    + " (only SentencePiece vocabularies)");
        }
        Vocabulary vocabulary = spm.vocabulary;
        int n = vocabulary.size();
        String[] pieces = new String[n];
        long[] types = new long[n];
        for (int id = 0; id < n; id++) {
            String piece = vocabulary.piece(id);
            pieces[id] = piece != null ? piece : "[UNUSED_" + id + "]";
            types[id] = piece != null ? vocabulary.type(id).ordinal() + 1 : TokenType.UNUSED.ordinal() + 1;
        }
        writer.putString(PREFIX + "model", "llama");
        writer.putArray(PREFIX + "tokens", new GgufArray(GgufValueType.STRING, pieces));
        writer.putArray(PREFIX + "scores", new GgufArray(GgufValueType.FLOAT32, scores(spm, n)));
        writer.putArray(PREFIX + "token_type", new GgufArray(GgufValueType.INT32, types));
        SpecialTokens special = spm.special;
        putId(writer, "bos_token_id", special.bosId());
        putId(writer, "eos_token_id", special.eosId());
        putId(writer, "unknown_token_id", special.unknownId());
        writer.putBool(PREFIX + "add_bos_token", special.addBos());
        writer.putBool(PREFIX + "add_space_prefix", spm.addsSpacePrefix());
        special.chatTemplate().ifPresent(t -> writer.putString("tokenizer.chat_template", t));
    }

    private static float[] scores(SentencePieceTokenizer spm, int n) {
        return switch (spm.mergeRule()) {
            case ScoreMergeRule byScore -> byScore.scores();
            case RankMergeRule byRank -> {
                int[] ranks = byRank.firstRankProducing(n);
                float[] scores = new float[n];
                for (int id = 0; id < n; id++) {
                    scores[id] = ranks[id] >= 0 ? -ranks[id] : UNMERGED_SCORE;
                }
                yield scores;
            }
            default -> throw new IllegalStateException("unknown merge rule " + spm.mergeRule().getClass());
        };
    }

    private static void putId(GgufWriter writer, String key, int id) {
        if (id >= 0) {
            writer.putUInt32(PREFIX + key, id);
        }
    }
}
