package dev.flashj.sampling;

/**
 * xorshift64* (Marsaglia's xorshift with Vigna's multiplier), the generator llama2.c samples with:
 * tiny, fast and identical on every platform, so a seed reproduces a generation anywhere.
 */
final class XorShiftRandom {
    /** Replaces seed 0, which would leave xorshift stuck at 0 forever. */
    private static final long ZERO_SEED_REPLACEMENT = 0x9E3779B97F4A7C15L;

    private long state;

    XorShiftRandom(long seed) {
        this.state = seed == 0 ? ZERO_SEED_REPLACEMENT : seed;
    }

    /** The next 32 random bits (the high half of the scrambled state). */
    int nextInt32() {
        state ^= state >>> 12;
        state ^= state << 25;
        state ^= state >>> 27;
        return (int) ((state * 0x2545F4914F6CDD1DL) >>> 32);
    }

    /** Uniform in [0, 1) with 24 random bits, as llama2.c's {@code random_f32}. */
    float nextFloat() {
        return (nextInt32() >>> 8) / 16777216.0f;
    }
}
