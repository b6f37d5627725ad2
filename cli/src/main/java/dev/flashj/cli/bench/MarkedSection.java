package dev.flashj.cli.bench;

import dev.flashj.FlashjException;

/**
 * A generated block inside a hand-written Markdown file, between two HTML comments, so that a rerun
 * replaces its own output and nothing else. A file without the markers gets the block appended.
 */
final class MarkedSection {
    static final String BEGIN = "<!-- flashj bench compare: begin (generated; a rerun replaces everything up to the end marker) -->";
    static final String END = "<!-- flashj bench compare: end -->";

    private MarkedSection() {
    }

    /**
     * {@code document} with the block between the markers set to {@code body}.
     *
     * @param name the file, for the message
     * @throws FlashjException when only one marker is present, a marker appears twice, or the end precedes the begin
     */
    static String replace(String document, String body, String name) {
        int begin = document.indexOf(BEGIN);
        int end = document.indexOf(END);
        String block = BEGIN + "\n" + body + (body.endsWith("\n") ? "" : "\n") + END;
        if (begin < 0 && end < 0) {
            String separator = document.isEmpty() || document.endsWith("\n\n") ? "" : document.endsWith("\n") ? "\n" : "\n\n";
            return document + separator + block + "\n";
        }
        if (begin < 0 || end < 0 || end < begin || document.indexOf(BEGIN, begin + 1) >= 0
                || document.indexOf(END, end + 1) >= 0) {
            throw new FlashjException(name + ": the markers of the generated block are broken (need exactly one '" + BEGIN
                    + "' followed by one '" + END + "'); fix them by hand");
        }
        return document.substring(0, begin) + block + document.substring(end + END.length());
    }
}
