package dev.flashj.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * Writes the {@code --json} output of the commands: one pretty-printed JSON document, or JSON Lines
 * (one compact object per line) for commands with several results.
 */
public final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper COMPACT = new ObjectMapper();

    private Json() {
    }

    /** Writes {@code value} (records, maps, lists, strings, numbers) as JSON followed by a newline. */
    public static void write(PrintWriter out, Object value) {
        write(out, value, MAPPER);
    }

    /** Writes {@code value} as one line of JSON (for JSON Lines output). */
    public static void writeLine(PrintWriter out, Object value) {
        write(out, value, COMPACT);
    }

    private static void write(PrintWriter out, Object value, ObjectMapper mapper) {
        try {
            out.println(mapper.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            // Only our own summary types are written: failing here is a bug, not bad input.
            throw new UncheckedIOException("cannot write JSON for " + value.getClass().getName(), e);
        }
        out.flush();
    }
}
