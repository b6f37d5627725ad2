package dev.flashj.cli.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@code --cases} file: one case per line, {@code OP SHAPE [DTYPE,...]} separated by blanks, where
 * SHAPE is written as for {@code --shape} (sweeps included). Blank lines and text after {@code #} are
 * ignored. scripts/side-by-side-cases.txt is one; the PyTorch reference reads the same file, so both
 * sides measure the same shapes.
 */
final class CaseFile {
    private CaseFile() {
    }

    /**
     * Every case of {@code file}.
     *
     * @throws BenchUsageException naming --cases, the file and the line, for a missing file or a bad line
     */
    static List<OpRegistry.Case> read(Path file, OpRegistry registry) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BenchUsageException("--cases", "cannot read '" + file + "': " + e.getMessage());
        }
        return parse(lines, file.toString(), registry);
    }

    static List<OpRegistry.Case> parse(List<String> lines, String name, OpRegistry registry) {
        List<OpRegistry.Case> cases = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String text = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (text.isEmpty()) {
                continue;
            }
            try {
                cases.addAll(parseLine(text, registry));
            } catch (BenchUsageException e) {
                throw new BenchUsageException("--cases", name + " line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (cases.isEmpty()) {
            throw new BenchUsageException("--cases", name + " lists no case");
        }
        return cases;
    }

    private static List<OpRegistry.Case> parseLine(String text, OpRegistry registry) {
        String[] fields = text.split("\\s+");
        if (fields.length < 2 || fields.length > 3) {
            throw new BenchUsageException("--cases", "'" + text + "' is not OP SHAPE [DTYPE,...]");
        }
        BenchOp op = registry.find(fields[0]).orElseThrow(() -> new BenchUsageException("--cases",
                "unknown op '" + fields[0] + "' (known: " + String.join(", ", registry.all().stream().map(BenchOp::name).toList())
                        + ")"));
        List<Dtype> dtypes = fields.length == 3 ? Arrays.stream(fields[2].split(",")).map(Dtype::parse).toList() : List.of();
        List<OpRegistry.Case> cases = new ArrayList<>();
        for (Shape shape : ShapeParser.parse(op.schema(), fields[1])) {
            cases.add(new OpRegistry.Case(op, shape, dtypes));
        }
        return cases;
    }
}
