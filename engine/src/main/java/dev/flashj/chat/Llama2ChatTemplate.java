package dev.flashj.chat;

import java.util.List;

/**
 * LLaMA-2 chat: {@code [INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant} </s><s>[INST] ...}.
 * The system prompt goes inside the first instruction; every exchange after the first starts with
 * BOS again. Also used for other "[INST]" models (Mistral).
 */
public final class Llama2ChatTemplate implements ChatTemplate {

    @Override
    public String name() {
        return "llama-2";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        ChatTemplate.requireTurnOrder(messages, addGenerationPrompt);
        StringBuilder out = new StringBuilder();
        String system = null;
        boolean first = true;
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case SYSTEM -> system = m.content();
                case USER -> {
                    String content = m.content();
                    if (system != null) {
                        content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content;
                        system = null;
                    }
                    out.append(first ? "" : "<s>").append("[INST] ").append(content.strip()).append(" [/INST]");
                    first = false;
                }
                case ASSISTANT -> out.append(' ').append(m.content().strip()).append(" </s>");
            }
        }
        return out.toString();
    }

    @Override
    public List<String> stopStrings() {
        return List.of("</s>", "[INST]");
    }
}
