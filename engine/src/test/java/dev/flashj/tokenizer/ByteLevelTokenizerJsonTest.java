package dev.flashj.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hand-built GPT-2-style tokenizer.json: the 256 byte characters as ids 0..255 (id = byte value),
 * a few merges, and {@code <|endoftext|>} as a special added token. Expected ids below are worked out
 * by hand from those merges.
 */
class ByteLevelTokenizerJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int G_T = 256;     // "Ġt"
    private static final int HE = 257;      // "he"
    private static final int G_THE = 258;   // "Ġthe"
    private static final int G_C = 259;     // "Ġc"
    private static final int AT = 260;      // "at"
    private static final int G_CAT = 261;   // "Ġcat"
    private static final int D12 = 262;     // "12"
    private static final int D123 = 263;    // "123"
    private static final int END = 264;     // "<|endoftext|>"

    @TempDir
    Path dir;

    private Path write(ObjectNode preTokenizer, boolean mergesAsPairs, boolean ignoreMerges) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.put("ignore_merges", ignoreMerges);
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevelMapping.charOf(b)), b);
        }
        String[][] merges = {{"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"Ġ", "c"}, {"a", "t"}, {"Ġc", "at"},
                {"1", "2"}, {"12", "3"}};
        int id = 256;
        ArrayNode mergeList = model.putArray("merges");
        for (String[] m : merges) {
            vocab.put(m[0] + m[1], id++);
            if (mergesAsPairs) {
                mergeList.addArray().add(m[0]).add(m[1]);
            } else {
                mergeList.add(m[0] + " " + m[1]);
            }
        }
        vocab.put("<|endoftext|>", END);
        root.putArray("added_tokens").addObject().put("id", END).put("content", "<|endoftext|>").put("special", true);
        root.set("pre_tokenizer", preTokenizer);
        root.putObject("decoder").put("type", "ByteLevel");
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    private static ObjectNode gpt2PreTokenizer() {
        return JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true);
    }

    private static ObjectNode llama3PreTokenizer() {
        ObjectNode seq = JSON.createObjectNode().put("type", "Sequence");
        ArrayNode steps = seq.putArray("pretokenizers");
        ObjectNode split = steps.addObject().put("type", "Split").put("behavior", "Isolated").put("invert", false);
        split.putObject("pattern").put("Regex", PreTokenizerPatterns.LLAMA3);
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", false);
        return seq;
    }

    @Test
    void mergesApplyByRankWithinWords() throws IOException {
        for (boolean pairs : new boolean[] {false, true}) {
            Tokenizer tokenizer = TokenizerLoader.load(write(gpt2PreTokenizer(), pairs, false), 0);
            assertInstanceOf(ByteLevelBpeTokenizer.class, tokenizer);
            assertEquals(265, tokenizer.vocabSize());
            // "the" -> t,h,e -> t,he ("t he" is no merge); " cat" -> Ġc,at -> Ġcat; " the" -> Ġt,he -> Ġthe
            assertArrayEquals(new int[] {'t', HE, G_CAT, G_THE}, tokenizer.encode("the cat the", false, false));
            // "Ġ t" ranks before "h e": " thhe" -> Ġt,h,he
            assertArrayEquals(new int[] {G_T, 'h', HE}, tokenizer.encode(" thhe", false, false));
            assertArrayEquals(new int[] {0xC3, 0xA9}, tokenizer.encode("é", false, false));
            assertEquals(" cat", tokenizer.piece(G_CAT).replace('Ġ', ' '));
        }
    }

    @Test
    void gpt2PatternKeepsOneSpaceForTheNextWord() {
        RegexPreTokenizer gpt2 = new RegexPreTokenizer(List.of(PreTokenizerPatterns.GPT2));
        assertEquals(List.of("a", "  ", " b", "'s", " 123", "!!", "\n"), gpt2.split("a   b's 123!!\n"));
        RegexPreTokenizer llama3 = new RegexPreTokenizer(List.of(PreTokenizerPatterns.LLAMA3));
        assertEquals(List.of("412", "3", " x", "'S"), llama3.split("4123 x'S"));
    }

    @Test
    void splitRegexAndIgnoreMergesFromTokenizerJson() throws IOException {
        Tokenizer llama3 = TokenizerLoader.load(write(llama3PreTokenizer(), false, true), 0);
        // digits split in threes: "412" -> 4,12 ; "3" -> 3
        assertArrayEquals(new int[] {'4', D12, '3'}, llama3.encode("4123", false, false));
        Tokenizer gpt2 = TokenizerLoader.load(write(gpt2PreTokenizer(), false, false), 0);
        assertArrayEquals(new int[] {'4', D123}, gpt2.encode("4123", false, false));
        // ignore_merges: a word that is a piece is taken whole ("12" is, so no 1,2 merge needed either way)
        assertArrayEquals(new int[] {D123}, llama3.encode("123", false, false));
    }

    @Test
    void specialTokensOnlyWhenParsing() throws IOException {
        Tokenizer tokenizer = TokenizerLoader.load(write(gpt2PreTokenizer(), false, false), 0);
        assertArrayEquals(new int[] {G_CAT, END}, tokenizer.encode(" cat<|endoftext|>", false, true));
        int[] literal = tokenizer.encode(" cat<|endoftext|>", false, false);
        assertEquals(G_CAT, literal[0]);
        assertTrue(literal.length > 2);
        assertEquals(" cat<|endoftext|>", tokenizer.decode(literal));
        assertEquals(END, tokenizer.eosId());
        assertTrue(tokenizer.isEndOfGeneration(END));
        assertEquals(" cat", tokenizer.decode(new int[] {G_CAT, END}));
    }

    @Test
    void randomTextRoundTripsExactly() throws IOException {
        Tokenizer tokenizer = TokenizerLoader.load(write(gpt2PreTokenizer(), false, false), 0);
        Random random = new Random(7);
        int[] alphabet = {' ', ' ', 'a', 't', 'h', 'e', '1', '\n', '\t', 'é', '\u00A0', '\u3000', 0x1F680, '语', '\'', '!'};
        for (int trial = 0; trial < 200; trial++) {
            StringBuilder sb = new StringBuilder();
            int length = random.nextInt(30);
            for (int i = 0; i < length; i++) {
                sb.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
            }
            String text = sb.toString();
            assertEquals(text, tokenizer.decode(tokenizer.encode(text, false, false)));
        }
    }

    @Test
    void streamDecoderWaitsForCompleteCharacters() throws IOException {
        Tokenizer tokenizer = TokenizerLoader.load(write(gpt2PreTokenizer(), false, false), 0);
        int[] ids = tokenizer.encode("é🚀", false, false); // six single-byte tokens
        assertEquals(6, ids.length);
        Tokenizer.StreamDecoder stream = tokenizer.newStreamDecoder();
        assertEquals("", stream.append(ids[0]));
        assertEquals("é", stream.append(ids[1]));
        assertEquals("", stream.append(ids[2]));
        assertEquals("", stream.append(ids[3]));
        assertEquals("", stream.append(ids[4]));
        assertEquals("🚀", stream.append(ids[5]));
        assertEquals("", stream.append(0xF0));
        assertEquals("\uFFFD", stream.flush(), "an incomplete sequence is flushed as U+FFFD");
    }

    @Test
    void byteMappingIsAPermutationOfPrintableCharacters() {
        java.util.Set<Character> seen = new java.util.HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevelMapping.charOf(b);
            assertTrue(seen.add(c));
            assertTrue(!Character.isWhitespace(c) && !Character.isISOControl(c), "byte " + b);
            assertArrayEquals(new byte[] {(byte) b}, ByteLevelMapping.decode(String.valueOf(c)));
        }
        assertEquals('Ġ', ByteLevelMapping.charOf(' '));
        assertEquals('Ċ', ByteLevelMapping.charOf('\n'));
    }

    @Test
    void tokenizerJsonBesideConfigTakesItsSpecialTokens() throws IOException {
        Path json = write(gpt2PreTokenizer(), false, false);
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"add_bos_token": true, "bos_token": {"content": "<|endoftext|>"}, "eos_token": "<|endoftext|>",
                 "chat_template": "{{ messages }}"}""");
        Tokenizer tokenizer = TokenizerLoader.load(json, 0);
        assertTrue(tokenizer.addBosByDefault());
        assertEquals(END, tokenizer.bosId());
        assertArrayEquals(new int[] {END, G_CAT}, tokenizer.encode(" cat", true, false));
        assertEquals("{{ messages }}", tokenizer.chatTemplate().orElseThrow());
    }
}
