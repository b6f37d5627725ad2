package dev.flashj.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A chat history: an optional system prompt and user/assistant exchanges, oldest first. Old
 * exchanges can be dropped to keep the rendered prompt within a context. Not thread-safe.
 */
public final class Conversation {
    private final Optional<String> system;
    private final List<ChatMessage> turns = new ArrayList<>();

    public Conversation(Optional<String> system) {
        this.system = system;
    }

    public void addUser(String text) {
        turns.add(ChatMessage.user(text));
    }

    public void addAssistant(String text) {
        turns.add(ChatMessage.assistant(text));
    }

    /** Removes the last message (e.g. a user turn whose reply failed). */
    public void removeLast() {
        if (!turns.isEmpty()) {
            turns.removeLast();
        }
    }

    /** The system message (if any) followed by the turns. */
    public List<ChatMessage> messages() {
        List<ChatMessage> all = new ArrayList<>(turns.size() + 1);
        system.ifPresent(s -> all.add(ChatMessage.system(s)));
        all.addAll(turns);
        return all;
    }

    /** Messages after the system prompt. */
    public int turnCount() {
        return turns.size();
    }

    /**
     * Drops the oldest user message and the assistant reply after it, keeping the system prompt
     * and at least the latest message. Returns false when there is nothing left to drop.
     */
    public boolean dropOldestExchange() {
        if (turns.size() <= 1) {
            return false;
        }
        turns.removeFirst();
        if (!turns.isEmpty() && turns.getFirst().role() == ChatRole.ASSISTANT) {
            turns.removeFirst();
        }
        return true;
    }
}
