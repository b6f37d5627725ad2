package dev.flashj.kv;

import dev.flashj.FlashjException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Saved PrefixKV importance profiles: per layer, the cumulative share of importance held by the best
 * fraction {@code i / POINTS} of its entries, so that profiles measured on earlier prompts can set the
 * layer budgets of a new prompt of any length. Text file: a header line, then one line per layer of
 * {@code POINTS + 1} numbers.
 */
public record PrefixKvProfile(double[][] cumulative) {
    /** Resolution of a saved profile. */
    public static final int POINTS = 100;
    private static final String HEADER = "flashj-prefixkv-profile v1";

    /** Resamples per-layer profiles ({@link PrefixKvBudgets#profile}) to {@link #POINTS} steps. */
    public static PrefixKvProfile of(double[][] layerProfiles) {
        double[][] out = new double[layerProfiles.length][];
        for (int l = 0; l < out.length; l++) {
            double[] cum = layerProfiles[l];
            out[l] = new double[POINTS + 1];
            for (int i = 0; i <= POINTS; i++) {
                out[l][i] = interpolate(cum, (double) i / POINTS * (cum.length - 1));
            }
        }
        return new PrefixKvProfile(out);
    }

    private static double interpolate(double[] curve, double x) {
        int i = (int) Math.floor(x);
        if (i >= curve.length - 1) {
            return curve[curve.length - 1];
        }
        double t = x - i;
        return curve[i] * (1 - t) + curve[i + 1] * t;
    }

    public int layers() {
        return cumulative.length;
    }

    /** Layer {@code layer}'s profile for {@code n} entries: {@code cum[k]}, k = 0..n. */
    public double[] forEntries(int layer, int n) {
        double[] cum = new double[n + 1];
        for (int k = 0; k <= n; k++) {
            cum[k] = n == 0 ? 0 : interpolate(cumulative[layer], (double) k / n * POINTS);
        }
        return cum;
    }

    public void save(Path file) {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (double[] layer : cumulative) {
            for (int i = 0; i < layer.length; i++) {
                sb.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.9g", layer[i]));
            }
            sb.append('\n');
        }
        try {
            Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new FlashjException("cannot write the PrefixKV profile " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a profile, checking its shape and that each curve rises from 0 to about 1. */
    public static PrefixKvProfile load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw FlashjException.badFile(file, "file", "cannot read: " + e.getMessage(), e);
        }
        if (lines.isEmpty() || !lines.getFirst().strip().equals(HEADER)) {
            throw FlashjException.badFile(file, "header", "expected '" + HEADER + "'");
        }
        List<double[]> layers = new ArrayList<>();
        for (int n = 1; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+");
            String field = "layer " + layers.size();
            if (parts.length != POINTS + 1) {
                throw FlashjException.badFile(file, field, parts.length + " values, expected " + (POINTS + 1));
            }
            double[] curve = new double[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    curve[i] = Double.parseDouble(parts[i]);
                } catch (NumberFormatException e) {
                    throw FlashjException.badFile(file, field, "value " + i + " '" + parts[i] + "' is not a number");
                }
                if (!(curve[i] >= 0 && curve[i] <= 1.001) || (i > 0 && curve[i] < curve[i - 1])) {
                    throw FlashjException.badFile(file, field, "value " + i + " (" + parts[i]
                            + ") breaks a cumulative share rising from 0 to 1");
                }
            }
            if (curve[0] != 0) {
                throw FlashjException.badFile(file, field, "a cumulative profile starts at 0");
            }
            layers.add(curve);
        }
        if (layers.isEmpty()) {
            throw FlashjException.badFile(file, "layers", "none");
        }
        return new PrefixKvProfile(layers.toArray(double[][]::new));
    }
}
