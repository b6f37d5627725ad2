package dev.flashj.chat;

import java.util.List;

/** ChatML (Qwen, many fine-tunes): {@code <|im_start|>{role}\n{content}<|im_end|>\n}; the reply opens with {@code <|im_start|>assistant\n}. */
public final class ChatMlTemplate implements ChatTemplate {

    @Override
    public String name() {
        return "chatml";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        ChatTemplate.requireTurnOrder(messages, addGenerationPrompt);
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            out.append("<|im_start|>").append(m.role().label()).append('\n').append(m.content()).append("<|im_end|>\n");
        }
        if (addGenerationPrompt) {
            out.append("<|im_start|>assistant\n");
        }
        return out.toString();
    }

    @Override
    public List<String> stopStrings() {
        return List.of("<|im_end|>");
    }
}
