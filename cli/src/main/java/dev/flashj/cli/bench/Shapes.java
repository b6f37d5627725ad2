package dev.flashj.cli.bench;

/** Checks of shape relations shared by the ops, reported as --shape usage errors. */
final class Shapes {
    private Shapes() {
    }

    static void requireGroups(int heads, int kvHeads) {
        if (heads % kvHeads != 0) {
            throw new BenchUsageException("--shape", "h=" + heads + " is not a multiple of kvh=" + kvHeads);
        }
    }

    static void requireOddWindow(String key, int kernel, int length, String lengthKey) {
        if (kernel % 2 == 0) {
            throw new BenchUsageException("--shape", key + "=" + kernel + ": a neighborhood window must be odd");
        }
        if (kernel > length) {
            throw new BenchUsageException("--shape", key + "=" + kernel + " exceeds " + lengthKey + "=" + length);
        }
    }

    static void requireMultiple(String key, int value, int multiple, String why) {
        if (value % multiple != 0) {
            throw new BenchUsageException("--shape", key + "=" + value + " is not a multiple of " + multiple + " (" + why + ")");
        }
    }
}
