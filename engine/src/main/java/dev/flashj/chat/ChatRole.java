package dev.flashj.chat;

import java.util.Locale;

/** Who says a message in a conversation. */
public enum ChatRole {
    SYSTEM,
    USER,
    ASSISTANT;

    /** The lower-case name templates print: "system", "user", "assistant". */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
