package dev.flashj.cli.bench;

import java.io.PrintWriter;

/**
 * One status line on stderr, rewritten in place ("\r") while a long phase runs and cleared when it
 * ends, so it never mixes with the results. Counters ({@link #update}) are shown at most a few times
 * a second; a new phase ({@link #show}) at once.
 */
final class ProgressLine {
    private static final long UPDATE_INTERVAL_NANOS = 250_000_000;

    private final PrintWriter err;
    private int shownLength;
    private long shownAt = System.nanoTime() - UPDATE_INTERVAL_NANOS;

    /** Shows {@code text} unless the line changed less than a quarter of a second ago. */
    void update(String text) {
        if (System.nanoTime() - shownAt >= UPDATE_INTERVAL_NANOS) {
            show(text);
        }
    }

    ProgressLine(PrintWriter err) {
        this.err = err;
    }

    void show(String text) {
        StringBuilder line = new StringBuilder("\r").append(text);
        for (int i = text.length(); i < shownLength; i++) {
            line.append(' ');
        }
        shownLength = text.length();
        shownAt = System.nanoTime();
        err.print(line);
        err.flush();
    }

    void clear() {
        if (shownLength > 0) {
            err.print("\r" + " ".repeat(shownLength) + "\r");
            err.flush();
            shownLength = 0;
        }
    }
}
