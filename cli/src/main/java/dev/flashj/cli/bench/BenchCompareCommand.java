package dev.flashj.cli.bench;

import dev.flashj.FlashjException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code flashj bench compare}: FlashJ's {@code --json} report next to a reference report in the same
 * schema (scripts/torch_reference.py writes one from PyTorch), as one Markdown table with speed
 * ratios; printed, or written into a file between marker comments so reruns replace it.
 */
@Command(name = "compare",
        sortOptions = false,
        description = {
                "Put a 'flashj bench --json' report side by side with a reference report in the same schema (e.g. PyTorch",
                "from scripts/torch_reference.py), matching rows on op, shape and dtype; prints a Markdown table with the",
                "speed ratio, or writes it into --write FILE between marker comments (a rerun replaces the block)."},
        footer = {"", "Example:",
                "  flashj bench compare --ours ours.json --reference torch.json --write docs/perf/h100.md"})
public final class BenchCompareCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--ours", paramLabel = "FILE", required = true, description = "FlashJ's report (flashj bench --json).")
    private Path ours;

    @Option(names = "--reference", paramLabel = "FILE",
            description = "The reference report; without it the table has FlashJ's columns only.")
    private Path reference;

    @Option(names = "--write", paramLabel = "FILE",
            description = "Write the table into FILE between the marker comments (appended when FILE has none) instead of printing it.")
    private Path write;

    @Option(names = "--note", paramLabel = "TEXT", description = "A line to add under the table (repeatable).")
    private List<String> notes = new ArrayList<>();

    @Override
    public Integer call() {
        requireFile(ours, "--ours");
        if (reference != null) {
            requireFile(reference, "--reference");
        }
        if (write != null && write.toAbsolutePath().getParent() != null && !Files.isDirectory(write.toAbsolutePath().getParent())) {
            throw usage("--write", "'" + write + "': its directory does not exist");
        }
        BenchReport oursReport = read(ours, "--ours");
        Optional<BenchReport> referenceReport = Optional.ofNullable(reference).map(r -> read(r, "--reference"));
        String table = SideBySide.markdown(oursReport, ours.getFileName().toString(), referenceReport,
                reference == null ? "" : reference.getFileName().toString(), notes);
        PrintWriter out = spec.commandLine().getOut();
        if (write == null) {
            out.print(table);
            out.flush();
            return 0;
        }
        try {
            String document = Files.exists(write) ? Files.readString(write, StandardCharsets.UTF_8) : "";
            Files.writeString(write, MarkedSection.replace(document, table, write.toString()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new FlashjException("cannot update --write file " + write + ": " + e.getMessage(), e);
        }
        out.println("bench compare: wrote " + SideBySide.lines(oursReport, referenceReport).size() + " rows into " + write);
        out.flush();
        return 0;
    }

    private void requireFile(Path file, String option) {
        if (!Files.isRegularFile(file)) {
            throw usage(option, "'" + file + "' is not a file");
        }
    }

    private ParameterException usage(String option, String reason) {
        return new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + reason);
    }

    /** The report, with every row's shape checked to be key=value pairs (rows are matched on them). */
    private static BenchReport read(Path file, String option) {
        BenchReport report = ReportFiles.readJson(file, option);
        for (BenchResult row : report.allResults()) {
            try {
                SideBySide.sizes(row.shape());
            } catch (IllegalArgumentException e) {
                throw new FlashjException(option + " file " + file + ": " + e.getMessage());
            }
        }
        return report;
    }
}
