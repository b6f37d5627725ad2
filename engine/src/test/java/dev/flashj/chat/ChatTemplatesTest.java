package dev.flashj.chat;

import dev.flashj.FlashjException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatTemplatesTest {
    private static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("You are terse."),
            ChatMessage.user("Hi there"),
            ChatMessage.assistant("Hello."),
            ChatMessage.user("Count to two"));

    @Test
    void llama2() {
        assertEquals("[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi there [/INST] Hello. </s>"
                        + "<s>[INST] Count to two [/INST]",
                new Llama2ChatTemplate().render(CONVERSATION, true));
        assertEquals("[INST] Hi [/INST]", new Llama2ChatTemplate().render(List.of(ChatMessage.user(" Hi ")), true));
    }

    @Test
    void llama3() {
        assertEquals("<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nCount to two<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                new Llama3ChatTemplate().render(CONVERSATION, true));
    }

    @Test
    void chatMl() {
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n"
                        + "<|im_start|>user\nHi there<|im_end|>\n"
                        + "<|im_start|>assistant\nHello.<|im_end|>\n"
                        + "<|im_start|>user\nCount to two<|im_end|>\n"
                        + "<|im_start|>assistant\n",
                new ChatMlTemplate().render(CONVERSATION, true));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n",
                new ChatMlTemplate().render(List.of(ChatMessage.user("Hi")), false));
    }

    @Test
    void plain() {
        assertEquals("You are terse.\n\nUser: Hi there\nAssistant: Hello.\nUser: Count to two\nAssistant:",
                new PlainChatTemplate().render(CONVERSATION, true));
    }

    @Test
    void detectsTheFamilyByItsMarkers() {
        // abridged real-world template sources
        String llama3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content ="
                + " '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim"
                + " + '<|eot_id|>' %}{{ content }}{% endfor %}";
        String chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
                + " + '<|im_end|>' + '\\n'}}{% endfor %}";
        String llama2 = "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}";
        assertInstanceOf(Llama3ChatTemplate.class, ChatTemplates.choose(Optional.of(llama3)).template());
        assertInstanceOf(ChatMlTemplate.class, ChatTemplates.choose(Optional.of(chatml)).template());
        assertInstanceOf(Llama2ChatTemplate.class, ChatTemplates.choose(Optional.of(llama2)).template());
        assertTrue(ChatTemplates.choose(Optional.of(llama3)).warning().isEmpty());
    }

    @Test
    void unknownOrAbsentFallsBackToPlainWithAWarning() {
        ChatTemplates.Choice none = ChatTemplates.choose(Optional.empty());
        assertInstanceOf(PlainChatTemplate.class, none.template());
        assertTrue(none.warning().orElseThrow().contains("no chat template"));
        ChatTemplates.Choice unknown = ChatTemplates.choose(Optional.of("{{ '<start_of_turn>' }}"));
        assertInstanceOf(PlainChatTemplate.class, unknown.template());
        assertTrue(unknown.warning().orElseThrow().contains("User:/Assistant:"));
    }

    @Test
    void rejectsBadTurnOrder() {
        ChatTemplate t = new ChatMlTemplate();
        assertThrows(FlashjException.class, () -> t.render(List.of(ChatMessage.assistant("x")), false));
        assertThrows(FlashjException.class,
                () -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), false));
        assertThrows(FlashjException.class,
                () -> t.render(List.of(ChatMessage.user("a"), ChatMessage.system("s")), false));
        assertThrows(FlashjException.class,
                () -> t.render(List.of(ChatMessage.user("a"), ChatMessage.assistant("b")), true));
    }

    @Test
    void conversationDropsOldestExchangesButKeepsTheSystemPrompt() {
        Conversation c = new Conversation(Optional.of("sys"));
        c.addUser("u1");
        c.addAssistant("a1");
        c.addUser("u2");
        c.addAssistant("a2");
        c.addUser("u3");
        assertTrue(c.dropOldestExchange());
        assertEquals(List.of(ChatMessage.system("sys"), ChatMessage.user("u2"), ChatMessage.assistant("a2"),
                ChatMessage.user("u3")), c.messages());
        assertTrue(c.dropOldestExchange());
        assertEquals(List.of(ChatMessage.system("sys"), ChatMessage.user("u3")), c.messages());
        assertEquals(false, c.dropOldestExchange());
        new ChatMlTemplate().render(c.messages(), true); // still a valid conversation
    }
}
