package dev.flashj.api;

/**
 * How long a generation took.
 *
 * @param promptTokens    prompt tokens run through the model (fewer than the prompt when a
 *                        {@link Session} reused the start of its cache)
 * @param promptMillis    time of that prompt pass
 * @param generatedTokens tokens sampled
 * @param decodeMillis    time spent sampling them and running the single-token passes, not counting
 *                        time spent in listeners or by the caller between tokens
 */
public record Timings(int promptTokens, double promptMillis, int generatedTokens, double decodeMillis) {

    public double promptTokensPerSecond() {
        return perSecond(promptTokens, promptMillis);
    }

    public double decodeTokensPerSecond() {
        return perSecond(generatedTokens, decodeMillis);
    }

    private static double perSecond(int tokens, double millis) {
        return millis > 0 ? tokens * 1000.0 / millis : 0.0;
    }
}
