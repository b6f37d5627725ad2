package dev.flashj.api;

/**
 * One generated token as it streams out.
 *
 * @param id   the token id
 * @param text the text this token makes visible; may be empty (an incomplete UTF-8 character, or
 *             text that could be the start of a stop string, is held back) and may include text
 *             held back from earlier tokens. Concatenating every {@code text} gives the result's text.
 */
public record GeneratedToken(int id, String text) {
}
