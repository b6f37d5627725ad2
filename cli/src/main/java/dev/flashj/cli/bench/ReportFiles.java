package dev.flashj.cli.bench;

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

/** Writes the machine-readable outputs: {@code --json} (the whole report) and {@code --csv} (one row per case). */
final class ReportFiles {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

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
}
