package dev.flashj.chat;

import dev.flashj.FlashjException;

import java.util.List;

/**
 * Turns a conversation into the prompt text a chat model was trained on. A conversation is an
 * optional system message followed by user and assistant messages taking turns, starting with the
 * user. The text has no leading BOS (the tokenizer adds it) and spells special tokens out, so it is
 * encoded with special tokens parsed.
 */
public interface ChatTemplate {

    /** A short name for display: "llama-2", "llama-3", "chatml", "plain". */
    String name();

    /**
     * Renders the conversation; with {@code addGenerationPrompt}, ends with what opens the
     * assistant's reply (the conversation must then end with a user message).
     *
     * @throws FlashjException when the roles do not take turns as described above
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /** Text that ends an assistant reply, for when the end token is decoded as text. */
    List<String> stopStrings();

    /** Checks the turn order shared by every template. */
    static void requireTurnOrder(List<ChatMessage> messages, boolean addGenerationPrompt) {
        int start = !messages.isEmpty() && messages.getFirst().role() == ChatRole.SYSTEM ? 1 : 0;
        for (int i = start; i < messages.size(); i++) {
            ChatRole expected = (i - start) % 2 == 0 ? ChatRole.USER : ChatRole.ASSISTANT;
            if (messages.get(i).role() != expected) {
                throw new FlashjException("chat message " + i + " is from " + messages.get(i).role().label()
                        + " but " + expected.label() + " was expected (a system message may only come first;"
                        + " then user and assistant take turns)");
            }
        }
        if (addGenerationPrompt && (messages.size() == start || messages.getLast().role() != ChatRole.USER)) {
            throw new FlashjException("a reply can only be asked for after a user message");
        }
    }
}
