package dev.flashj.tokenizer;

import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.format.gguf.GgufArray;
import dev.flashj.format.gguf.GgufMetadata;
import dev.flashj.format.gguf.GgufValueType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad tokenizer files fail with a FlashjException naming the file, the field and the reason. */
class TokenizerErrorsTest {

    @TempDir
    Path dir;

    private static void assertFails(Executable action, String... fragments) {
        FlashjException e = assertThrows(FlashjException.class, action);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message \"" + e.getMessage() + "\" lacks \"" + fragment + "\"");
        }
    }

    private Path json(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    @Test
    void unsupportedModelTypes() throws IOException {
        for (String type : new String[] {"Unigram", "WordPiece", "WordLevel"}) {
            Path file = json("tokenizer.json", "{\"model\": {\"type\": \"" + type + "\", \"vocab\": []}}");
            assertFails(() -> TokenizerLoader.load(file, 0), file.toString(), "model.type", type, "not supported");
        }
    }

    @Test
    void brokenTokenizerJson() throws IOException {
        Path noVocab = json("a.json", "{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true, \"merges\": []}}");
        assertFails(() -> TokenizerLoader.load(noVocab, 0), noVocab.toString(), "model.vocab");
        Path badMerge = json("b.json", "{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true, "
                + "\"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}}");
        assertFails(() -> TokenizerLoader.load(badMerge, 0), "model.merges[0]", "\"ab\" is not in model.vocab");
        Path badId = json("c.json", "{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true, "
                + "\"vocab\": {\"a\": -4}, \"merges\": []}}");
        assertFails(() -> TokenizerLoader.load(badId, 0), "model.vocab[\"a\"]", "-4");
        Path malformed = json("d.json", "{\"model\": {\"type\": ");
        assertFails(() -> TokenizerLoader.load(malformed, 0), malformed.toString(), "malformed JSON");
        Path plainBpe = json("e.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}");
        assertFails(() -> TokenizerLoader.load(plainBpe, 0), "pre_tokenizer", "not supported");
        Path badPre = json("f.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []},"
                + " \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Whitespace\"},"
                + " {\"type\": \"ByteLevel\"}]}}");
        assertFails(() -> TokenizerLoader.load(badPre, 0), "pre_tokenizer.pretokenizers[0].type", "Whitespace");
        assertFails(() -> TokenizerLoader.fromHfDirectory(dir), dir.toString(), "tokenizer.json");
    }

    @Test
    void brokenLlama2cTokenizer() throws IOException {
        byte[] real = Files.readAllBytes(TestData.require("tok512.bin"));
        Path truncated = dir.resolve("truncated.bin");
        Files.write(truncated, Arrays.copyOf(real, real.length - 2));
        assertFails(() -> TokenizerLoader.load(truncated, 512), truncated.toString(), "token 511", "runs past the end");
        Files.write(truncated, Arrays.copyOf(real, real.length - 3 - 8));
        assertFails(() -> TokenizerLoader.load(truncated, 512), truncated.toString(), "token 511", "ends after 511");
        Path tooFew = dir.resolve("tok512.bin");
        Files.write(tooFew, real);
        assertFails(() -> TokenizerLoader.load(tooFew, 513), "token 512", "vocabulary size");
        assertFails(() -> TokenizerLoader.load(tooFew, 0), "vocab size");
        assertFails(() -> TokenizerLoader.load(tooFew, Integer.MAX_VALUE), "vocab size", "cannot fit");

        ByteBuffer negative = ByteBuffer.allocate(4 + 3 * 8).order(ByteOrder.LITTLE_ENDIAN);
        negative.putInt(8).putFloat(0f).putInt(-5);
        Path negativeFile = dir.resolve("negative.bin");
        Files.write(negativeFile, negative.array());
        assertFails(() -> TokenizerLoader.load(negativeFile, 3), negativeFile.toString(), "token 0", "length -5");
        Path empty = dir.resolve("empty.bin");
        Files.write(empty, new byte[2]);
        assertFails(() -> TokenizerLoader.load(empty, 3), "max_token_length", "truncated");
    }

    /** A hand-built GGUF vocabulary: the metadata a GGUF reader would produce. */
    private static Map<String, Object> sentencePieceMetadata() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("tokenizer.ggml.model", "llama");
        values.put("tokenizer.ggml.tokens", new GgufArray(GgufValueType.STRING,
                new String[] {"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "▁ab"}));
        values.put("tokenizer.ggml.scores", new GgufArray(GgufValueType.FLOAT32,
                new float[] {0, 0, 0, -1, -2, -3, -4, -0.5f, -6}));
        values.put("tokenizer.ggml.token_type", new GgufArray(GgufValueType.INT32,
                new long[] {2, 3, 3, 1, 1, 1, 1, 1, 1}));
        values.put("tokenizer.ggml.bos_token_id", 1L);
        values.put("tokenizer.ggml.eos_token_id", 2L);
        values.put("tokenizer.ggml.padding_token_id", 0xFFFFFFFFL);
        return values;
    }

    private static GgufMetadata metadata(Map<String, Object> values) {
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        values.forEach((k, v) -> types.put(k, switch (v) {
            case String s -> GgufValueType.STRING;
            case Long l -> GgufValueType.UINT32;
            case Boolean b -> GgufValueType.BOOL;
            default -> GgufValueType.ARRAY;
        }));
        return new GgufMetadata(Path.of("vocab.gguf"), values, types);
    }

    @Test
    void handBuiltGgufVocabularyMergesByScore() {
        Tokenizer tokenizer = GgufTokenizers.fromMetadata(metadata(sentencePieceMetadata()));
        // "▁ab": "ab" (-0.5) beats "▁a" (-4); then "▁"+"ab" = "▁ab" exists
        assertArrayEquals(new int[] {1, 8}, tokenizer.encode("ab", true, false));
        // "▁b": no piece "▁b", stays ▁,b
        assertArrayEquals(new int[] {3, 5}, tokenizer.encode("b", false, false));
        assertEquals("ab", tokenizer.decode(new int[] {1, 8}));
        assertTrue(tokenizer.addBosByDefault());
    }

    @Test
    void brokenGgufVocabularies() {
        Map<String, Object> noTokens = sentencePieceMetadata();
        noTokens.remove("tokenizer.ggml.tokens");
        assertFails(() -> GgufTokenizers.fromMetadata(metadata(noTokens)), "vocab.gguf", "tokenizer.ggml.tokens", "missing");

        Map<String, Object> shortScores = sentencePieceMetadata();
        shortScores.put("tokenizer.ggml.scores", new GgufArray(GgufValueType.FLOAT32, new float[] {0, 0}));
        assertFails(() -> GgufTokenizers.fromMetadata(metadata(shortScores)), "tokenizer.ggml.scores", "2 entries", "9");

        Map<String, Object> shortTypes = sentencePieceMetadata();
        shortTypes.put("tokenizer.ggml.token_type", new GgufArray(GgufValueType.INT32, new long[] {1}));
        assertFails(() -> GgufTokenizers.fromMetadata(metadata(shortTypes)), "tokenizer.ggml.token_type", "1 entries");

        Map<String, Object> badType = sentencePieceMetadata();
        badType.put("tokenizer.ggml.token_type", new GgufArray(GgufValueType.INT32, new long[] {1, 1, 1, 1, 9, 1, 1, 1, 1}));
        assertFails(() -> GgufTokenizers.fromMetadata(metadata(badType)), "token_type[4]", "9");

        Map<String, Object> bosOutOfRange = sentencePieceMetadata();
        bosOutOfRange.put("tokenizer.ggml.bos_token_id", 9L);
        assertFails(() -> GgufTokenizers.fromMetadata(metadata(bosOutOfRange)), "tokenizer.ggml.bos_token_id", "out of range");

        Map<String, Object> bert = sentencePieceMetadata();
        bert.put("tokenizer.ggml.model", "bert");
        assertFails(() -> GgufTokenizers.fromMetadata(metadata(bert)), "tokenizer.ggml.model", "bert");

        Map<String, Object> gpt2 = sentencePieceMetadata();
        gpt2.put("tokenizer.ggml.model", "gpt2");
        gpt2.put("tokenizer.ggml.merges", new GgufArray(GgufValueType.STRING, new String[] {"a b"}));
        gpt2.put("tokenizer.ggml.pre", "mystery-pre");
        assertFails(() -> GgufTokenizers.fromMetadata(metadata(gpt2)), "tokenizer.ggml.pre", "mystery-pre");
        gpt2.put("tokenizer.ggml.merges", new GgufArray(GgufValueType.STRING, new String[] {"a ▁"}));
        assertFails(() -> GgufTokenizers.fromMetadata(metadata(gpt2)), "tokenizer.ggml.merges[0]", "\"a▁\"");
    }

    @Test
    void decodingAnIdOutsideTheVocabularyFails() {
        Tokenizer tokenizer = GgufTokenizers.fromMetadata(metadata(sentencePieceMetadata()));
        assertFails(() -> tokenizer.decode(new int[] {9}), "token id 9", "9 tokens");
        assertFails(() -> tokenizer.newStreamDecoder().append(-1), "token id -1");
    }
}
