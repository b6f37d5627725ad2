package dev.flashj.chat;

import java.util.Optional;

/**
 * Picks the template family from a model's template source (GGUF {@code tokenizer.chat_template}
 * or tokenizer_config.json {@code chat_template}) by the special tokens it mentions; there is no
 * Jinja interpreter. Unknown or absent templates get {@link PlainChatTemplate}, with a warning to show.
 */
public final class ChatTemplates {
    private ChatTemplates() {
    }

    /** The template to use, and a warning when it is the plain fallback. */
    public record Choice(ChatTemplate template, Optional<String> warning) {
    }

    public static Choice choose(Optional<String> source) {
        if (source.isEmpty() || source.get().isBlank()) {
            return fallback("the model has no chat template");
        }
        String s = source.get();
        if (s.contains("<|start_header_id|>")) {
            return new Choice(new Llama3ChatTemplate(), Optional.empty());
        }
        if (s.contains("<|im_start|>")) {
            return new Choice(new ChatMlTemplate(), Optional.empty());
        }
        if (s.contains("[INST]")) {
            return new Choice(new Llama2ChatTemplate(), Optional.empty());
        }
        return fallback("the model's chat template is not one FlashJ recognises (LLaMA-2, LLaMA-3, ChatML)");
    }

    private static Choice fallback(String why) {
        return new Choice(new PlainChatTemplate(),
                Optional.of(why + "; using a plain \"User:/Assistant:\" format"));
    }
}
