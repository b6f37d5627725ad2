package dev.flashj.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The side-by-side table of {@code flashj bench compare}: FlashJ's rows next to a reference's rows
 * (PyTorch, in the same JSON schema) on the same op, shape and dtype, with the speed ratio. A
 * reference may hold several rows per case (one per implementation, named in the row's
 * {@code device}, e.g. "torch:sdpa-flash" and "torch:sdpa-cudnn"): each gets a line. Reference rows
 * FlashJ has no kernel for (an FP8 GEMM) get lines of their own with empty FlashJ columns.
 */
final class SideBySide {
    private SideBySide() {
    }

    /** The key rows are matched on: op, dtype and the shape's sizes whatever their order. */
    record CaseKey(String op, Map<String, Integer> sizes, String dtype) {
        static CaseKey of(BenchResult r) {
            return new CaseKey(r.op().trim(), SideBySide.sizes(r.shape()), r.dtype().trim().toLowerCase(Locale.ROOT));
        }
    }

    /**
     * "b=1,h=32" as a sorted map.
     *
     * @throws IllegalArgumentException for text that is not key=value pairs of whole numbers
     */
    static Map<String, Integer> sizes(String shape) {
        Map<String, Integer> sizes = new TreeMap<>();
        for (String part : shape.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("shape '" + shape + "': '" + part + "' is not key=value");
            }
            try {
                sizes.put(part.substring(0, eq).trim(), Integer.parseInt(part.substring(eq + 1).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("shape '" + shape + "': '" + part + "' is not a whole number");
            }
        }
        return sizes;
    }

    /** One line of the table: a FlashJ row, a reference row, or both. */
    record Line(Optional<BenchResult> ours, Optional<BenchResult> reference) {
        /** Reference time over FlashJ's: above 1 FlashJ is faster. */
        Optional<Double> speedRatio() {
            return ours.isPresent() && reference.isPresent()
                    ? Optional.of(reference.get().medianMs() / ours.get().medianMs()) : Optional.empty();
        }
    }

    /** The lines in FlashJ's row order, each FlashJ row followed by its reference rows; then reference-only rows. */
    static List<Line> lines(BenchReport ours, Optional<BenchReport> reference) {
        Map<CaseKey, List<BenchResult>> byCase = new LinkedHashMap<>();
        reference.ifPresent(r -> r.allResults().forEach(row -> byCase.computeIfAbsent(CaseKey.of(row), k -> new ArrayList<>())
                .add(row)));
        Set<CaseKey> matched = new LinkedHashSet<>();
        List<Line> lines = new ArrayList<>();
        for (BenchResult row : ours.allResults()) {
            CaseKey key = CaseKey.of(row);
            List<BenchResult> refs = byCase.getOrDefault(key, List.of());
            if (refs.isEmpty()) {
                lines.add(new Line(Optional.of(row), Optional.empty()));
            }
            for (BenchResult ref : refs) {
                lines.add(new Line(Optional.of(row), Optional.of(ref)));
            }
            matched.add(key);
        }
        byCase.forEach((key, refs) -> {
            if (!matched.contains(key)) {
                refs.forEach(ref -> lines.add(new Line(Optional.empty(), Optional.of(ref))));
            }
        });
        return lines;
    }

    /**
     * The whole Markdown block: a line naming both runs, the ceilings side by side, the table, and
     * {@code notes} as a list under it.
     */
    static String markdown(BenchReport ours, String oursName, Optional<BenchReport> reference, String referenceName,
                           List<String> notes) {
        StringBuilder md = new StringBuilder();
        md.append("FlashJ: `").append(oursName).append("` (").append(runLabel(ours)).append(")");
        reference.ifPresent(r -> md.append("; reference: `").append(referenceName).append("` (").append(runLabel(r)).append(")"));
        md.append(".\n\n");
        ceilings(md, ours, reference);
        md.append("| op | shape | dtype | FlashJ device | FlashJ ms | FlashJ rate | FlashJ of ceiling | reference | reference ms"
                + " | reference rate | reference / FlashJ time |\n");
        md.append("|---|---|---|---|---:|---:|---:|---|---:|---:|---:|\n");
        for (Line line : lines(ours, reference)) {
            BenchResult any = line.ours().orElseGet(() -> line.reference().orElseThrow());
            boolean memory = "memory".equals(any.bound());
            md.append("| ").append(any.op()).append(" | ").append(any.shape()).append(" | ").append(any.dtype()).append(" | ");
            if (line.ours().isPresent()) {
                BenchResult o = line.ours().get();
                md.append(o.device()).append(" | ").append(TextReport.fmt(o.medianMs())).append(" | ").append(rate(o, memory))
                        .append(" | ").append(String.format(Locale.ROOT, "%.0f%% (%s)", 100 * o.ceilingFraction(), o.bound()));
            } else {
                md.append("no FlashJ kernel | — | — | —");
            }
            md.append(" | ");
            if (line.reference().isPresent()) {
                BenchResult r = line.reference().get();
                md.append(r.device()).append(" | ").append(TextReport.fmt(r.medianMs())).append(" | ").append(rate(r, memory));
            } else {
                md.append("— | — | —");
            }
            md.append(" | ").append(line.speedRatio().map(x -> String.format(Locale.ROOT, "%.2f×", x)).orElse("—"))
                    .append(" |\n");
        }
        md.append("\n\"reference / FlashJ time\" above 1 means FlashJ is faster. Rates are TFLOP/s for compute-bound rows and"
                + " GB/s for memory-bound ones (FlashJ's roofline decides; FLOP and byte counts are the same formulas on both"
                + " sides). \"of ceiling\" is against FlashJ's own ceilings above.\n");
        for (String note : notes) {
            md.append("- ").append(note).append('\n');
        }
        return md.toString();
    }

    /** "2026-12-04T00:10:00Z, FlashJ 0.1.0-SNAPSHOT, cuda:0 NVIDIA H200 ...". */
    private static String runLabel(BenchReport report) {
        List<String> parts = new ArrayList<>();
        if (report.date() != null) {
            parts.add(report.date());
        }
        if (report.flashj() != null) {
            parts.add(report.flashj());
        }
        report.devices().forEach(d -> parts.add(d.device() + (d.description() == null ? "" : " " + d.description())));
        return String.join(", ", parts);
    }

    private static void ceilings(StringBuilder md, BenchReport ours, Optional<BenchReport> reference) {
        md.append("| ceiling | FlashJ | how | reference | how | FlashJ / reference |\n|---|---:|---|---:|---|---:|\n");
        for (BenchReport.DeviceRun d : ours.devices()) {
            BenchReport.CeilingSummary o = d.ceilings();
            Optional<BenchReport.CeilingSummary> r = reference.map(rep -> rep.devices().getFirst().ceilings());
            md.append("| ").append(d.device()).append(" bandwidth | ").append(gbps(o.bandwidthGBps())).append(" | ")
                    .append(o.bandwidthHow()).append(" | ").append(r.map(c -> gbps(c.bandwidthGBps())).orElse("—")).append(" | ")
                    .append(r.map(BenchReport.CeilingSummary::bandwidthHow).orElse("—")).append(" | ")
                    .append(r.map(c -> ratio(o.bandwidthGBps(), c.bandwidthGBps())).orElse("—")).append(" |\n");
            md.append("| ").append(d.device()).append(" compute | ").append(tflops(o.computeGflops())).append(" | ")
                    .append(o.computeHow()).append(" | ").append(r.map(c -> tflops(c.computeGflops())).orElse("—")).append(" | ")
                    .append(r.map(BenchReport.CeilingSummary::computeHow).orElse("—")).append(" | ")
                    .append(r.map(c -> ratio(o.computeGflops(), c.computeGflops())).orElse("—")).append(" |\n");
        }
        md.append('\n');
    }

    private static String rate(BenchResult row, boolean memory) {
        return memory ? gbps(row.gbps()) : tflops(row.gflops());
    }

    static String gbps(double gbps) {
        return TextReport.fmt(gbps) + " GB/s";
    }

    static String tflops(double gflops) {
        return TextReport.fmt(gflops / 1000) + " TFLOP/s";
    }

    private static String ratio(double a, double b) {
        return b > 0 ? String.format(Locale.ROOT, "%.2f", a / b) : "—";
    }
}
