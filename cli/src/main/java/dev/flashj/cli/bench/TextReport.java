package dev.flashj.cli.bench;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** The human-readable output: a header with the ceilings, then one aligned row per case. */
final class TextReport {
    private TextReport() {
    }

    static void header(PrintWriter out, BenchReport.DeviceRun device) {
        BenchReport.CeilingSummary c = device.ceilings();
        out.printf(Locale.ROOT, "device %s: %s%n", device.device(), device.description());
        out.printf(Locale.ROOT, "  ceiling bandwidth %.1f GB/s (%s)%n", c.bandwidthGBps(), c.bandwidthHow());
        out.printf(Locale.ROOT, "  ceiling compute   %.1f GFLOP/s (%s)%n", c.computeGflops(), c.computeHow());
        out.flush();
    }

    static void rows(PrintWriter out, List<BenchResult> results) {
        int opWidth = Math.max(2, results.stream().mapToInt(r -> r.op().length()).max().orElse(0));
        int shapeWidth = Math.max(5, results.stream().mapToInt(r -> r.shape().length()).max().orElse(0));
        String format = "%-" + opWidth + "s  %-" + shapeWidth + "s  %-5s  %-12s  %10s  %19s  %9s  %8s  %-7s  %7s%n";
        out.printf(Locale.ROOT, format, "op", "shape", "dtype", "device", "median ms", "p10-p90 ms", "GFLOP/s", "GB/s",
                "bound", "of ceil");
        for (BenchResult r : results) {
            out.printf(Locale.ROOT, format, r.op(), r.shape(), r.dtype(), r.device(), fmt(r.medianMs()),
                    fmt(r.p10Ms()) + "-" + fmt(r.p90Ms()), fmt(r.gflops()), fmt(r.gbps()), r.bound(),
                    String.format(Locale.ROOT, "%.0f%%", 100 * r.ceilingFraction()));
        }
        out.flush();
    }

    /** Three significant figures without exponents for the usual ranges. */
    static String fmt(double v) {
        if (v >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (v >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (v >= 0.1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
