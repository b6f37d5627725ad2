package dev.flashj.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.TestData;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The small trained checkpoint's SentencePiece-style tokenizer.json against Hugging Face's outputs. */
class HfTokenizerJsonTest {

    private static final Path DIR = Path.of("hf-tiny-llama2-spm");

    @Test
    void promptsEncodeAndGreedyIdsDecodeLikeHuggingFace() throws IOException {
        Tokenizer tokenizer = TokenizerLoader.fromHfDirectory(TestData.require(DIR.toString()));
        assertInstanceOf(SentencePieceTokenizer.class, tokenizer);
        assertEquals(1024, tokenizer.vocabSize());
        assertEquals(1, tokenizer.bosId());
        assertEquals(2, tokenizer.eosId());
        assertTrue(tokenizer.addBosByDefault(), "the post-processor template starts with <s>");
        JsonNode reference = new ObjectMapper().readTree(TestData.require(DIR.resolve("reference.json").toString()).toFile());
        int checked = 0;
        for (JsonNode ref : reference.get("references")) {
            assertArrayEquals(ints(ref.get("prompt_ids")),
                    tokenizer.encode(ref.get("prompt").asText(), tokenizer.addBosByDefault(), true), ref.get("prompt").asText());
            assertEquals(ref.get("greedy_text").asText(), tokenizer.decode(ints(ref.get("greedy_ids"))));
            checked++;
        }
        assertEquals(4, checked);
    }

    @Test
    void loadingTheFileDirectlyGivesTheSameTokenizer() {
        Path json = TestData.require(DIR.resolve("tokenizer.json").toString());
        Tokenizer viaFile = TokenizerLoader.load(json, 0);
        Tokenizer viaDir = TokenizerLoader.fromHfDirectory(json.getParent());
        String text = "Byte fallback: 🚀 über ᏣᎳᎩ, and  double  spaces.";
        assertArrayEquals(viaDir.encode(text, true, false), viaFile.encode(text, true, false));
    }

    @Test
    void everyLlamaCppTestStringRoundTrips() {
        Tokenizer tokenizer = TokenizerLoader.fromHfDirectory(TestData.require(DIR.toString()));
        VocabTestVectors vectors = VocabTestVectors.read(
                TestData.require("llama.cpp-vocab/ggml-vocab-llama-spm.gguf.inp"),
                TestData.require("llama.cpp-vocab/ggml-vocab-llama-spm.gguf.out"));
        for (String input : vectors.inputs()) {
            int[] ids = tokenizer.encode(input, false, false);
            assertEquals(input, tokenizer.decode(ids), Llama2cTokenizerTest.quote(input));
        }
    }

    @Test
    void specialTokensAreParsedOnlyWhenAsked() {
        Tokenizer tokenizer = TokenizerLoader.fromHfDirectory(TestData.require(DIR.toString()));
        int[] parsed = tokenizer.encode("a</s>", false, true);
        assertEquals(2, parsed[parsed.length - 1]);
        int[] literal = tokenizer.encode("a</s>", false, false);
        assertTrue(java.util.Arrays.stream(literal).noneMatch(id -> id == 2));
        assertEquals("a</s>", tokenizer.decode(literal));
        assertEquals("a", tokenizer.decode(parsed), "control tokens decode to nothing");
    }

    /** The same vocabulary in the newer Metaspace form: ▁ only at the very start of the text. */
    @Test
    void metaspacePreTokenizerWithPrependSchemeFirst(@TempDir Path tmp) throws IOException {
        Path original = TestData.require(DIR.resolve("tokenizer.json").toString());
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(original.toFile());
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "▁")
                .put("prepend_scheme", "first").put("split", false);
        Path metaspaceFile = tmp.resolve("tokenizer.json");
        json.writeValue(metaspaceFile.toFile(), root);
        Tokenizer legacy = TokenizerLoader.load(original, 0);
        Tokenizer metaspace = TokenizerLoader.load(metaspaceFile, 0);
        String text = "Linear attention is  fast.";
        assertArrayEquals(legacy.encode(text, true, true), metaspace.encode(text, true, true));
        // after a special token the legacy normalizer prepends ▁ again, Metaspace "first" does not
        int[] legacyIds = legacy.encode("</s>Linear", false, true);
        int[] metaspaceIds = metaspace.encode("</s>Linear", false, true);
        assertEquals("Linear", legacy.decode(legacyIds));
        assertEquals("Linear", metaspace.decode(metaspaceIds));
        assertEquals(legacy.piece(352), legacy.piece(legacyIds[1]), "legacy: ▁ after </s>");
        assertTrue(metaspaceIds[1] != 352, "first: no ▁ after </s>");
    }

    static int[] ints(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }
}
