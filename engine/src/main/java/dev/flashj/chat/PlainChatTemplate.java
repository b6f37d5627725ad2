package dev.flashj.chat;

import java.util.List;

/**
 * The fallback when a model has no chat template FlashJ recognises: the system prompt as a first
 * paragraph, then {@code User: ...} and {@code Assistant: ...} lines. Generation stops when the
 * model starts writing the next user line.
 */
public final class PlainChatTemplate implements ChatTemplate {

    @Override
    public String name() {
        return "plain";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        ChatTemplate.requireTurnOrder(messages, addGenerationPrompt);
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case SYSTEM -> out.append(m.content().strip()).append("\n\n");
                case USER -> out.append("User: ").append(m.content().strip()).append('\n');
                case ASSISTANT -> out.append("Assistant: ").append(m.content().strip()).append('\n');
            }
        }
        if (addGenerationPrompt) {
            out.append("Assistant:");
        }
        return out.toString();
    }

    @Override
    public List<String> stopStrings() {
        return List.of("\nUser:");
    }
}
