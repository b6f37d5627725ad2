package dev.flashj.api;

/** Why a generation ended. */
public enum FinishReason {
    /** The model produced an end-of-generation token (EOS, EOT...). */
    STOP_TOKEN,
    /** The text reached one of the request's stop strings (which is not part of the text). */
    STOP_STRING,
    /** The request's token limit was reached. */
    LENGTH,
    /** The session's context is full. */
    CONTEXT,
    /** {@link Generation#cancel()} or {@link Session#cancel()} was called. */
    CANCELLED;

    /** Lower-case name for JSON and display: "stop_token", "length"... */
    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
