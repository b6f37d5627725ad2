package dev.flashj.tokenizer;

import dev.flashj.TestData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GGUF vocabularies against llama.cpp's test vectors (produced upstream with Hugging Face tokenizers). */
class GgufVocabularyTest {

    private static Tokenizer load(String relative) {
        return TokenizerLoader.load(TestData.require(relative), 0);
    }

    private static VocabTestVectors vectors(String vocab) {
        return VocabTestVectors.read(TestData.require("llama.cpp-vocab/" + vocab + ".gguf.inp"),
                TestData.require("llama.cpp-vocab/" + vocab + ".gguf.out"));
    }

    @Test
    void llamaSpm() {
        Tokenizer tokenizer = load("llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
        assertInstanceOf(SentencePieceTokenizer.class, tokenizer);
        assertEquals(32000, tokenizer.vocabSize());
        Llama2cTokenizerTest.assertEncodesAll(tokenizer, vectors("ggml-vocab-llama-spm"));
    }

    @Test
    void phi3() {
        Tokenizer tokenizer = load("llama.cpp-vocab/ggml-vocab-phi-3.gguf");
        Llama2cTokenizerTest.assertEncodesAll(tokenizer, vectors("ggml-vocab-phi-3"));
        assertEquals(32000, tokenizer.eosId());
        int end = ((SentencePieceTokenizer) tokenizer).idOf("<|end|>").orElseThrow();
        assertTrue(tokenizer.isEndOfGeneration(end), "<|end|> ends a turn");
        assertTrue(tokenizer.isEndOfGeneration(32000));
        assertFalse(tokenizer.isEndOfGeneration(1));
        assertTrue(tokenizer.chatTemplate().orElseThrow().contains("<|assistant|>"));
        // control tokens are recognised in text only when asked
        assertArrayEquals(new int[] {32010}, tokenizer.encode("<|user|>", false, true));
        assertTrue(tokenizer.encode("<|user|>", false, false).length > 1);
    }

    @Test
    void gpt2() {
        Tokenizer tokenizer = load("llama.cpp-vocab/ggml-vocab-gpt-2.gguf");
        assertInstanceOf(ByteLevelBpeTokenizer.class, tokenizer);
        assertEquals(50257, tokenizer.vocabSize());
        Llama2cTokenizerTest.assertEncodesAll(tokenizer, vectors("ggml-vocab-gpt-2"));
        assertArrayEquals(new int[] {50256}, tokenizer.encode("<|endoftext|>", false, true));
        assertFalse(tokenizer.addBosByDefault());
    }

    @Test
    void stories260kGgufMatchesLlamaCppAndTheLlama2cForm() {
        Tokenizer gguf = load("stories260K.gguf");
        Tokenizer llama2c = TokenizerLoader.load(TestData.require("tok512.bin"), 512);
        VocabTestVectors vectors = VocabTestVectors.read(
                TestData.require("llama.cpp-vocab/ggml-vocab-llama-spm.gguf.inp"),
                TestData.require("expected/llamacpp/stories260K.gguf.vocab-test.out"));
        Llama2cTokenizerTest.assertEncodesAll(gguf, vectors);
        List<String> differences = new ArrayList<>();
        for (int id = 0; id < gguf.vocabSize(); id++) {
            if (!gguf.piece(id).equals(llama2c.piece(id))) {
                differences.add(id + ": " + gguf.piece(id) + " vs " + llama2c.piece(id));
            }
        }
        assertTrue(differences.isEmpty(), String.join("\n", differences));
        assertEquals(gguf.describe().replace("GGUF", "X"), llama2c.describe().replace("llama2.c tokenizer.bin", "X"));
    }

    @Test
    void quantizedCopiesCarryTheSameVocabulary() {
        Tokenizer f32 = load("stories260K.gguf");
        Tokenizer q4 = load("derived/stories260K-Q4_0mix.gguf");
        String text = "Once upon a time, Lily saw a big red ball.";
        assertArrayEquals(f32.encode(text, true, false), q4.encode(text, true, false));
    }
}
