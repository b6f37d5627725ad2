package dev.flashj.cli.inspect;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prints a {@link ModelSummary} as aligned, human-readable sections. */
public final class InspectTextWriter {

    /** Longer strings (chat templates, licences) are cut to this many characters. */
    static final int MAX_STRING_CHARS = 120;

    private final PrintWriter out;

    public InspectTextWriter(PrintWriter out) {
        this.out = out;
    }

    public void write(ModelSummary s) {
        Map<String, String> header = new LinkedHashMap<>();
        header.put("path", s.path());
        header.put("format", s.format());
        header.put("architecture", s.architecture());
        keyValues(header, "");

        out.println();
        out.println("config:");
        Map<String, String> config = new LinkedHashMap<>();
        flatten("", s.config(), config);
        keyValues(config, "  ");

        out.println();
        out.println("tokenizer:");
        ModelSummary.TokenizerSummary t = s.tokenizer();
        out.println("  " + t.description());
        out.println("  vocabSize " + t.vocabSize() + ", bos " + t.bosId() + ", eos " + t.eosId()
                + ", addBos " + t.addBos());

        out.println();
        out.println("metadata (" + s.metadata().size() + (s.metadata().size() == 1 ? " key" : " keys") + "):");
        Map<String, String> metadata = new LinkedHashMap<>();
        s.metadata().forEach((k, v) -> metadata.put(k, text(v, false)));
        keyValues(metadata, "  ");

        if (s.tensors() != null) {
            out.println();
            out.println("tensors (" + s.tensors().size() + "):");
            tensorTable(s.tensors());
        }

        out.println();
        out.println("totals:");
        TensorTotals totals = s.totals();
        Map<String, String> sums = new LinkedHashMap<>();
        sums.put("tensors", Long.toString(totals.tensors()));
        sums.put("parameters", totals.elements() + " (" + humanCount(totals.elements()) + ")");
        sums.put("bytes", totals.bytes() + " (" + humanBytes(totals.bytes()) + ")");
        totals.byType().forEach((type, tt) -> sums.put(type, tt.tensors() + (tt.tensors() == 1 ? " tensor, " : " tensors, ")
                + tt.bytes() + " bytes (" + humanBytes(tt.bytes()) + ")"));
        keyValues(sums, "  ");
        out.flush();
    }

    private void tensorTable(List<TensorSummary> tensors) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "TYPE", "SHAPE", "BYTES"});
        for (TensorSummary t : tensors) {
            rows.add(new String[] {t.name(), t.type(), Arrays.toString(t.shape()), Long.toString(t.bytes())});
        }
        int[] widths = new int[4];
        for (String[] row : rows) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            // Bytes right-aligned so that sizes line up by magnitude.
            out.println(String.format(Locale.ROOT, "  %-" + widths[0] + "s  %-" + widths[1] + "s  %-" + widths[2] + "s  %"
                    + widths[3] + "s", row[0], row[1], row[2], row[3]).stripTrailing());
        }
    }

    private void keyValues(Map<String, String> entries, String indent) {
        int width = entries.keySet().stream().mapToInt(String::length).max().orElse(0);
        entries.forEach((k, v) -> out.println((indent + padRight(k, width) + "  " + v).stripTrailing()));
    }

    /** Nested maps (the RoPE settings) become dotted keys: "rope.scaling.type". */
    @SuppressWarnings("unchecked")
    private static void flatten(String prefix, Map<String, Object> map, Map<String, String> into) {
        map.forEach((k, v) -> {
            if (v instanceof Map<?, ?> nested) {
                flatten(prefix + k + ".", (Map<String, Object>) nested, into);
            } else {
                into.put(prefix + k, text(v, false));
            }
        });
    }

    /** A display value as one line; strings inside lists and maps are quoted. */
    static String text(Object value, boolean quoteStrings) {
        return switch (value) {
            case null -> "null";
            case String s -> quoteStrings ? "\"" + oneLine(s) + "\"" : oneLine(s);
            case List<?> list -> {
                List<String> parts = new ArrayList<>();
                list.forEach(e -> parts.add(text(e, true)));
                yield "[" + String.join(", ", parts) + "]";
            }
            case Map<?, ?> map -> {
                List<String> parts = new ArrayList<>();
                map.forEach((k, v) -> parts.add(k + ": " + text(v, true)));
                yield "{" + String.join(", ", parts) + "}";
            }
            default -> value.toString();
        };
    }

    /** Control characters escaped, cut to {@link #MAX_STRING_CHARS} with the full length noted. */
    static String oneLine(String s) {
        StringBuilder b = new StringBuilder();
        int limit = Math.min(s.length(), MAX_STRING_CHARS);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        if (s.length() > limit) {
            b.append("... (").append(s.length()).append(" chars)");
        }
        return b.toString();
    }

    private static String padRight(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String humanCount(long n) {
        if (n < 1000) {
            return Long.toString(n);
        }
        String[] units = {"K", "M", "B", "T"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f%s", v, units[u]);
    }
}
