package dev.flashj.api;

/**
 * Receives generated tokens as they are produced, on the generating thread. To stop early, call
 * {@link Session#cancel()} (from here or from any other thread).
 */
@FunctionalInterface
public interface TokenListener {

    /**
     * Called once per generated token, in order.
     *
     * @param tokenId the token id
     * @param text    the text it makes visible (see {@link GeneratedToken#text()}); may be empty
     */
    void onToken(int tokenId, String text);
}
