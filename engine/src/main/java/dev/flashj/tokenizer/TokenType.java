package dev.flashj.tokenizer;

/**
 * The kind of a vocabulary entry. The order matches GGUF's {@code tokenizer.ggml.token_type} codes
 * (1 = normal ... 6 = byte); code 0 (undefined) is read as normal.
 */
public enum TokenType {
    NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    /** The type for a GGUF token_type code, or null when the code is not one GGUF defines. */
    public static TokenType fromGgufCode(long code) {
        return switch (code < 0 || code > 6 ? -1 : (int) code) {
            case 0, 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> null;
        };
    }

    /** Tokens spelled in text that become their id only when special tokens are parsed. */
    boolean matchedOnlyWhenParsingSpecial() {
        return this == CONTROL || this == UNKNOWN;
    }
}
