package dev.flashj.cli.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.flashj.FlashjException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The machine-readable outputs: {@code --json} (the whole report) and {@code --csv} (one row per
 * case), and reading a {@code --json} report back ({@code flashj bench compare}).
 */
final class ReportFiles {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            // A reference written by another tool may carry fields of its own.
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private ReportFiles() {
    }

    static void writeJson(Path file, BenchReport report) {
        try {
            Files.writeString(file, MAPPER.writeValueAsString(report) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new FlashjException("cannot write --json file " + file + ": " + e.getMessage(), e);
        }
    }

    static void writeCsv(Path file, BenchReport report) {
        List<String> lines = new ArrayList<>();
        lines.add(BenchResult.CSV_HEADER);
        report.allResults().forEach(r -> lines.add(r.csvRow()));
        try {
            Files.write(file, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new FlashjException("cannot write --csv file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A report written by {@code --json} (or in its schema by a reference script).
     *
     * @param option the option that named the file, for messages
     * @throws FlashjException naming the option and the file when it cannot be read or is not such a report
     */
    static BenchReport readJson(Path file, String option) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new FlashjException("cannot read " + option + " file " + file + ": " + e.getMessage(), e);
        }
        BenchReport report;
        try {
            report = MAPPER.readValue(text, BenchReport.class);
        } catch (JsonProcessingException e) {
            throw new FlashjException(option + " file " + file + " is not a flashj bench JSON report: "
                    + e.getOriginalMessage(), e);
        }
        if (report == null || report.devices() == null || report.devices().isEmpty()) {
            throw new FlashjException(option + " file " + file + " is not a flashj bench JSON report: it has no \"devices\"");
        }
        for (BenchReport.DeviceRun d : report.devices()) {
            if (d.results() == null || d.ceilings() == null) {
                throw new FlashjException(option + " file " + file + ": device " + d.device() + " lacks \"results\" or \"ceilings\"");
            }
            for (BenchResult r : d.results()) {
                if (r.op() == null || r.shape() == null || r.dtype() == null || !(r.medianMs() > 0)) {
                    throw new FlashjException(option + " file " + file + ": a row of " + d.device()
                            + " lacks op, shape, dtype or a positive median_ms: " + r);
                }
            }
        }
        return report;
    }
}
