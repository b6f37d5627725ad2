package dev.flashj.tokenizer;

import dev.flashj.FlashjException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads a llama2.c {@code tokenizer.bin}: int32 max_token_length, then per token a float32 score, an
 * int32 byte length and the piece's UTF-8 bytes (little-endian). The file does not store how many
 * tokens it holds. Pieces are normalised to the GGUF spelling ({@code ▁} for spaces, bare
 * {@code <s>}/{@code </s>}), so the tokenizer behaves like the GGUF form of the same vocabulary.
 */
final class Llama2cTokenizerReader {
    private static final int UNK = 0;
    private static final int BOS = 1;
    private static final int EOS = 2;

    private Llama2cTokenizerReader() {
    }

    static SentencePieceTokenizer read(Path file, int vocabSize) {
        if (vocabSize < 3) {
            throw FlashjException.badFile(file, "vocab size", "a llama2.c tokenizer.bin needs the model's vocabulary"
                    + " size (at least 3), got " + vocabSize);
        }
        ByteBuffer in;
        try {
            in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException | OutOfMemoryError e) {
            throw new FlashjException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (in.remaining() < 4) {
            throw FlashjException.badFile(file, "max_token_length", "file is truncated (" + in.remaining() + " bytes)");
        }
        int maxTokenLength = in.getInt();
        if (maxTokenLength <= 0) {
            throw FlashjException.badFile(file, "max_token_length", "must be positive, found " + maxTokenLength);
        }
        if (vocabSize > in.remaining() / 8) { // every token takes at least 8 bytes
            throw FlashjException.badFile(file, "vocab size", vocabSize + " tokens cannot fit in "
                    + in.remaining() + " bytes (is the vocabulary size right?)");
        }
        String[] pieces = new String[vocabSize];
        float[] scores = new float[vocabSize];
        TokenType[] types = new TokenType[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            String field = "token " + id;
            if (in.remaining() < 8) {
                throw FlashjException.badFile(file, field, "file ends after " + id + " of " + vocabSize
                        + " tokens (is the vocabulary size right?)");
            }
            scores[id] = in.getFloat();
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw FlashjException.badFile(file, field, "length " + length + " is negative or runs past the"
                        + " end of the file (" + in.remaining() + " bytes left)");
            }
            byte[] bytes = new byte[length];
            in.get(bytes);
            pieces[id] = normalisePiece(id, new String(bytes, StandardCharsets.UTF_8));
            types[id] = typeOf(id, pieces[id]);
        }
        Vocabulary vocabulary = new Vocabulary(pieces, types);
        SpecialTokens special = new SpecialTokens(BOS, EOS, UNK, true, new int[] {EOS}, Optional.empty());
        return new SentencePieceTokenizer(vocabulary, special, new ScoreMergeRule(vocabulary, scores),
                new SentencePieceTokenizer.Options(true, true, false, false, null, "llama2.c tokenizer.bin"));
    }

    private static String normalisePiece(int id, String piece) {
        // llama2.c's exporter wraps BOS/EOS in newlines and writes spaces where SentencePiece has ▁
        if ((id == BOS || id == EOS) && piece.startsWith("\n") && piece.endsWith("\n") && piece.length() > 2) {
            return piece.substring(1, piece.length() - 1);
        }
        return piece.replace(' ', SentencePieceTokenizer.SPACE_MARK);
    }

    private static TokenType typeOf(int id, String piece) {
        if (id == UNK) {
            return TokenType.UNKNOWN;
        }
        if (id == BOS || id == EOS) {
            return TokenType.CONTROL;
        }
        return SentencePieceTokenizer.byteValue(piece) != null ? TokenType.BYTE : TokenType.NORMAL;
    }
}
