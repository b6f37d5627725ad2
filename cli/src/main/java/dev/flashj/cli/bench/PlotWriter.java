package dev.flashj.cli.bench;

import dev.flashj.FlashjException;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code --plot FILE.png}: when the rows sweep one size (say n), throughput against that size, one
 * line per op, dtype and device (the other sizes fixed); otherwise a bar per case of its fraction of
 * the machine's ceiling, one colour per device. Rendered with JFreeChart, headless.
 */
final class PlotWriter {
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 640;

    private PlotWriter() {
    }

    static void write(Path file, BenchReport report) {
        System.setProperty("java.awt.headless", "true");
        List<BenchResult> rows = report.allResults();
        JFreeChart chart = sweptKey(rows).map(key -> sweepChart(rows, key)).orElseGet(() -> barChart(rows));
        try {
            ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new FlashjException("cannot write --plot file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The one size that varies among the rows of an op, the same for every op that varies; empty otherwise. */
    static Optional<String> sweptKey(List<BenchResult> rows) {
        Set<String> swept = new LinkedHashSet<>();
        Map<String, Map<String, Set<String>>> valuesByOp = new LinkedHashMap<>();
        for (BenchResult r : rows) {
            Map<String, Set<String>> values = valuesByOp.computeIfAbsent(r.op() + "|" + r.dtype() + "|" + r.device(),
                    k -> new LinkedHashMap<>());
            sizes(r.shape()).forEach((k, v) -> values.computeIfAbsent(k, x -> new LinkedHashSet<>()).add(v));
        }
        for (Map<String, Set<String>> values : valuesByOp.values()) {
            values.forEach((k, v) -> {
                if (v.size() > 1) {
                    swept.add(k);
                }
            });
        }
        return swept.size() == 1 ? Optional.of(swept.iterator().next()) : Optional.empty();
    }

    private static JFreeChart sweepChart(List<BenchResult> rows, String key) {
        boolean memory = rows.stream().allMatch(r -> r.bound().equals("memory"));
        XYSeriesCollection data = new XYSeriesCollection();
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (BenchResult r : rows) {
            Map<String, String> sizes = sizes(r.shape());
            String x = sizes.get(key);
            if (x == null) {
                continue;
            }
            sizes.remove(key);
            String name = r.op() + " " + r.dtype() + " " + r.device() + " (" + String.join(",",
                    sizes.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()) + ")";
            series.computeIfAbsent(name, n -> {
                XYSeries s = new XYSeries(n);
                data.addSeries(s);
                return s;
            }).add(Double.parseDouble(x), memory ? r.gbps() : r.gflops());
        }
        JFreeChart chart = ChartFactory.createXYLineChart("flashj bench: throughput vs " + key, key,
                memory ? "GB/s" : "GFLOP/s", data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        LogAxis x = new LogAxis(key);
        x.setBase(2);
        x.setSmallestValue(1);
        // Ticks at whole powers of two, labelled with their values (1024, not 2^10).
        x.setTickUnit(new NumberTickUnit(1));
        x.setNumberFormatOverride(new DecimalFormat("0"));
        plot.setDomainAxis(x);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        return chart;
    }

    private static JFreeChart barChart(List<BenchResult> rows) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (BenchResult r : rows) {
            data.addValue(100 * r.ceilingFraction(), r.device(), r.op() + " " + r.dtype() + " " + r.shape());
        }
        JFreeChart chart = ChartFactory.createBarChart("flashj bench: % of the machine's ceiling (roofline)", "case",
                "% of ceiling", data, PlotOrientation.HORIZONTAL, true, false, false);
        chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
        chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
        return chart;
    }

    private static Map<String, String> sizes(String shape) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : shape.split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                m.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return m;
    }
}
