package dev.flashj.chat;

import dev.flashj.TestData;
import dev.flashj.tokenizer.Tokenizer;
import dev.flashj.tokenizer.TokenizerLoader;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Template detection and special-token parsing on real vocabularies. */
class RealTemplateDetectionTest {

    @Test
    void phi3TemplateIsNotAFamilyWeKnowSoItFallsBack() {
        Tokenizer phi3 = TokenizerLoader.load(TestData.require("llama.cpp-vocab/ggml-vocab-phi-3.gguf"), 0);
        String source = phi3.chatTemplate().orElseThrow();
        assertTrue(source.contains("<|user|>"), source);
        ChatTemplates.Choice choice = ChatTemplates.choose(phi3.chatTemplate());
        assertInstanceOf(PlainChatTemplate.class, choice.template());
        assertTrue(choice.warning().orElseThrow().contains("not one FlashJ recognises"));
    }

    @Test
    void llama2RenderingEncodesItsSpecialTokens() {
        Tokenizer spm = TokenizerLoader.load(TestData.require("llama.cpp-vocab/ggml-vocab-llama-spm.gguf"), 0);
        String prompt = new Llama2ChatTemplate().render(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Yo"),
                ChatMessage.user("Again")), true);
        int[] parsed = spm.encode(prompt, true, true);
        long bosCount = java.util.Arrays.stream(parsed).filter(id -> id == spm.bosId()).count();
        long eosCount = java.util.Arrays.stream(parsed).filter(id -> id == spm.eosId()).count();
        assertTrue(bosCount == 2 && eosCount == 1, "<s> and </s> in the text became ids: " + java.util.Arrays.toString(parsed));
        assertArrayEquals(new int[] {spm.bosId()}, java.util.Arrays.copyOf(parsed, 1));
    }
}
