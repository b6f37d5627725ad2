package dev.flashj.api;

import java.util.List;

/**
 * Releases generated text as soon as it cannot be part of a stop string. It holds back the longest
 * tail of the text that is the start of some stop string, so a stop string split across tokens is
 * still found, and never emitted. Invariant: no stop string can start in already-released text.
 */
final class StopStringFilter {
    private final List<String> stopStrings;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopStringFilter(List<String> stopStrings) {
        this.stopStrings = stopStrings;
    }

    /** Adds text and returns what can be released now; after a match, the text before it. */
    String append(String piece) {
        if (stopped) {
            return "";
        }
        held.append(piece);
        if (stopStrings.isEmpty()) {
            return drain(held.length());
        }
        int first = -1;
        for (String stop : stopStrings) {
            int at = held.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        if (first >= 0) {
            stopped = true;
            String before = held.substring(0, first);
            held.setLength(0);
            return before;
        }
        return drain(held.length() - longestTailThatStartsAStop());
    }

    boolean stopped() {
        return stopped;
    }

    /** The held tail, at the end of a generation that did not stop on a string. */
    String flush() {
        return drain(held.length());
    }

    private int longestTailThatStartsAStop() {
        int best = 0;
        int length = held.length();
        for (String stop : stopStrings) {
            for (int k = Math.min(stop.length() - 1, length); k > best; k--) {
                if (tailEquals(length - k, stop, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }

    private boolean tailEquals(int from, String stop, int k) {
        for (int i = 0; i < k; i++) {
            if (held.charAt(from + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String drain(int count) {
        String out = held.substring(0, count);
        held.delete(0, count);
        return out;
    }
}
