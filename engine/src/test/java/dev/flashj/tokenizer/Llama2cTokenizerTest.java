package dev.flashj.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** llama2.c tokenizer.bin vocabularies against llama.cpp's tokenization of the same strings. */
class Llama2cTokenizerTest {

    private static VocabTestVectors vectors(String expectedOut) {
        return VocabTestVectors.read(TestData.require("llama.cpp-vocab/ggml-vocab-llama-spm.gguf.inp"),
                TestData.require(expectedOut));
    }

    static void assertEncodesAll(Tokenizer tokenizer, VocabTestVectors vectors) {
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < vectors.size(); i++) {
            String input = vectors.inputs().get(i);
            int[] ids = tokenizer.encode(input, false, false);
            if (!java.util.Arrays.equals(vectors.expected().get(i), ids)) {
                failures.add("#" + i + " " + quote(input) + ": expected " + java.util.Arrays.toString(vectors.expected().get(i))
                        + " got " + java.util.Arrays.toString(ids));
            }
            String decoded = tokenizer.decode(ids);
            if (!decoded.equals(input)) {
                failures.add("#" + i + " decode: expected " + quote(input) + " got " + quote(decoded));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " mismatches:\n" + String.join("\n", failures));
    }

    static String quote(String s) {
        return "\"" + s.replace("\n", "\\n").replace("\t", "\\t") + "\"";
    }

    @Test
    void stories260kVocabularyMatchesLlamaCpp() {
        Tokenizer tokenizer = TokenizerLoader.load(TestData.require("tok512.bin"), 512);
        assertInstanceOf(SentencePieceTokenizer.class, tokenizer);
        assertEquals(512, tokenizer.vocabSize());
        assertEncodesAll(tokenizer, vectors("expected/llamacpp/stories260K.gguf.vocab-test.out"));
    }

    @Test
    void llama2VocabularyMatchesLlamaCpp() {
        Tokenizer tokenizer = TokenizerLoader.load(TestData.require("llama2c-tokenizer-32000.bin"), 32000);
        assertEncodesAll(tokenizer, vectors("llama.cpp-vocab/ggml-vocab-llama-spm.gguf.out"));
    }

    @Test
    void piecesAreNormalisedToTheGgufSpelling() {
        SentencePieceTokenizer tokenizer = (SentencePieceTokenizer) TokenizerLoader.load(TestData.require("tok512.bin"), 512);
        assertEquals("<s>", tokenizer.piece(1));
        assertEquals("</s>", tokenizer.piece(2));
        assertEquals(TokenType.CONTROL, tokenizer.tokenType(1));
        assertEquals(TokenType.UNKNOWN, tokenizer.tokenType(0));
        assertEquals(TokenType.BYTE, tokenizer.tokenType(3 + 0x0A));
        assertEquals(1, tokenizer.bosId());
        assertEquals(2, tokenizer.eosId());
        assertTrue(tokenizer.addBosByDefault());
        assertTrue(tokenizer.isEndOfGeneration(2));
        assertFalse(tokenizer.isEndOfGeneration(1));
        assertTrue(tokenizer.piece(259).startsWith("\u2581"), tokenizer.piece(259));
        assertTrue(tokenizer.describe().contains("512 tokens"), tokenizer.describe());
    }

    /** llama.cpp's greedy run on stories260K: prompt ids from our encoder, text from our stream decoder. */
    @Test
    void promptAndGenerationMatchLlamaCppRun() throws IOException {
        JsonNode run = new ObjectMapper().readTree(TestData.require(
                "expected/llamacpp/stories260K-F32.once-upon-a-time-greedy64.json").toFile());
        Tokenizer tokenizer = TokenizerLoader.load(TestData.require("tok512.bin"), 512);
        int[] prompt = ids(run.get("prompt_token_ids"));
        assertArrayEquals(prompt, tokenizer.encode(run.get("prompt").asText(), true, false));
        int[] generated = ids(run.get("generated_token_ids"));
        Tokenizer.StreamDecoder stream = tokenizer.newStreamDecoder();
        StringBuilder text = new StringBuilder();
        for (int id : generated) {
            text.append(stream.append(id));
        }
        text.append(stream.flush());
        assertEquals(run.get("generated_text").asText(), text.toString());
    }

    /** The BOS run: pieces after BOS are printed with their leading space by llama.cpp (lstrip=0). */
    @Test
    void bosRunDecodesLikeLlamaCppPieces() throws IOException {
        JsonNode run = new ObjectMapper().readTree(TestData.require(
                "expected/llamacpp/stories260K-F32.bos-greedy128.json").toFile());
        Tokenizer tokenizer = TokenizerLoader.load(TestData.require("tok512.bin"), 512);
        int[] generated = ids(run.get("generated_token_ids"));
        Tokenizer.StreamDecoder stream = tokenizer.newStreamDecoder();
        StringBuilder text = new StringBuilder();
        for (int id : generated) {
            text.append(stream.append(id));
        }
        assertEquals(run.get("generated_text").asText(), text + stream.flush());
        // decoding a whole sequence drops the dummy-prefix space, as SentencePiece does
        assertEquals(run.get("generated_text").asText().substring(1), tokenizer.decode(generated));
        // a stream that starts at BOS starts at the beginning of the text (llama2.c run.c's rule)
        Tokenizer.StreamDecoder fromBos = tokenizer.newStreamDecoder();
        StringBuilder fromBosText = new StringBuilder(fromBos.append(1));
        for (int id : generated) {
            fromBosText.append(fromBos.append(id));
        }
        assertEquals(run.get("generated_text").asText().substring(1), fromBosText + fromBos.flush());
    }

    private static int[] ids(JsonNode node) throws IOException {
        JsonNode array = node.isTextual() ? new ObjectMapper().readTree(node.asText()) : node;
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }
}
