package dev.flashj.chat;

import java.util.List;

/**
 * LLaMA-3 chat: each message is {@code <|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>};
 * the reply opens with the assistant header.
 */
public final class Llama3ChatTemplate implements ChatTemplate {

    @Override
    public String name() {
        return "llama-3";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        ChatTemplate.requireTurnOrder(messages, addGenerationPrompt);
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            header(out, m.role().label()).append(m.content().strip()).append("<|eot_id|>");
        }
        if (addGenerationPrompt) {
            header(out, "assistant");
        }
        return out.toString();
    }

    private static StringBuilder header(StringBuilder out, String role) {
        return out.append("<|start_header_id|>").append(role).append("<|end_header_id|>\n\n");
    }

    @Override
    public List<String> stopStrings() {
        return List.of("<|eot_id|>");
    }
}
