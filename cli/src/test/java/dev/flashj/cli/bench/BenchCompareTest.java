package dev.flashj.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.cli.CliRun;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code flashj bench compare} on a real {@code flashj bench --device cpu --json} report and a
 * hand-written reference in the same schema (shapes in another key order, two implementations of
 * one case, a case FlashJ has no kernel for).
 */
class BenchCompareTest {
    @TempDir
    static Path dir;
    private static Path ours;
    private static double rmsnormMs;
    private static double gemvMs;

    @BeforeAll
    static void benchmarkTheCpu() throws Exception {
        Path cases = dir.resolve("cases.txt");
        Files.writeString(cases, "rmsnorm rows=3,dim=16 f32\ngemv m=8,k=64,n=1 f32\n");
        ours = dir.resolve("ours.json");
        CliRun run = CliRun.flashj("bench", "--device", "cpu", "--threads", "1", "--cases", cases.toString(),
                "--small-ceilings", "--runs", "2", "--min-runs", "1", "--warmup", "0", "--warmup-seconds", "0",
                "--json", ours.toString());
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode rows = new ObjectMapper().readTree(ours.toFile()).get("devices").get(0).get("results");
        rmsnormMs = rows.get(0).get("median_ms").asDouble();
        gemvMs = rows.get(1).get("median_ms").asDouble();
    }

    private static Path reference(String name, double rmsnormReferenceMs) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, """
                {"date": "2026-12-04T00:00:00Z", "flashj": "torch 2.11.0 (reference)", "machine": "test",
                 "devices": [{"device": "torch:cuda:0", "description": "hand-written",
                   "ceilings": {"bandwidth_gbps": 20.0, "bandwidth_how": "copy_", "compute_gflops": 400.0,
                                "compute_how": "torch.matmul"},
                   "results": [
                     {"op": "rmsnorm", "shape": "dim=16,rows=3", "dtype": "F32", "device": "torch:rms_norm",
                      "median_ms": %s, "gflops": 1.0, "gbps": 2.0, "bound": "memory"},
                     {"op": "gemv", "shape": "n=1,m=8,k=64", "dtype": "f32", "device": "torch:matmul",
                      "median_ms": 0.25, "gflops": 3.0, "gbps": 4.0, "bound": "memory"},
                     {"op": "gemv", "shape": "m=8,k=64,n=1", "dtype": "f32", "device": "torch:linear",
                      "median_ms": 0.5, "gflops": 1.5, "gbps": 2.0, "bound": "memory"},
                     {"op": "gemm", "shape": "m=8,k=64,n=16", "dtype": "fp8_e4m3", "device": "torch:_scaled_mm",
                      "median_ms": 0.0625, "gflops": 3000.0, "gbps": 7.0, "bound": "compute", "extra": "ignored"}
                   ]}]}
                """.formatted(rmsnormReferenceMs));
        return file;
    }

    private static String ratio(double referenceMs, double oursMs) {
        return String.format(Locale.ROOT, "%.2f×", referenceMs / oursMs);
    }

    @Test
    void writesOneTableBetweenTheMarkersAndRerunsReplaceIt() throws Exception {
        Path doc = dir.resolve("h100.md");
        Files.writeString(doc, "# H100\n\nhand-written text\n");
        CliRun first = CliRun.flashj("bench", "compare", "--ours", ours.toString(), "--reference",
                reference("torch.json", 0.5).toString(), "--write", doc.toString());
        assertEquals(0, first.exitCode(), first.toString());
        assertTrue(first.out().contains("bench compare: wrote 4 rows into " + doc), first.toString());
        String text = Files.readString(doc);
        assertTrue(text.startsWith("# H100\n\nhand-written text\n\n" + MarkedSection.BEGIN + "\n"), text);
        assertTrue(text.endsWith(MarkedSection.END + "\n"), text);
        List<String> rows = text.lines().filter(l -> l.startsWith("| rmsnorm") || l.startsWith("| gemv") || l.startsWith("| gemm"))
                .toList();
        assertEquals(4, rows.size(), text);
        assertTrue(rows.get(0).startsWith("| rmsnorm | rows=3,dim=16 | f32 | cpu | ") && rows.get(0).contains("| torch:rms_norm | 0.50 | ")
                && rows.get(0).endsWith("| " + ratio(0.5, rmsnormMs) + " |"), rows.get(0));
        assertTrue(rows.get(1).contains("| torch:matmul | 0.25 | 4.00 GB/s | " + ratio(0.25, gemvMs) + " |"), rows.get(1));
        assertTrue(rows.get(2).contains("| torch:linear | 0.50 | 2.00 GB/s | " + ratio(0.5, gemvMs) + " |"), rows.get(2));
        assertEquals("| gemm | m=8,k=64,n=16 | fp8_e4m3 | no FlashJ kernel | — | — | — | torch:_scaled_mm | 0.0625 | 3.00 TFLOP/s | — |",
                rows.get(3));
        assertTrue(text.contains("| cpu bandwidth | ") && text.contains("| 20.0 GB/s | copy_ | "), text);
        assertTrue(text.contains("torch 2.11.0 (reference)"), text);

        CliRun second = CliRun.flashj("bench", "compare", "--ours", ours.toString(), "--reference",
                reference("torch2.json", 2.0).toString(), "--write", doc.toString(), "--note", "rerun");
        assertEquals(0, second.exitCode(), second.toString());
        String again = Files.readString(doc);
        assertEquals(1, again.split(java.util.regex.Pattern.quote(MarkedSection.BEGIN), -1).length - 1, again);
        assertTrue(again.startsWith("# H100\n\nhand-written text\n\n"), again);
        assertTrue(again.contains("| torch:rms_norm | 2.00 | ") && !again.contains("| torch:rms_norm | 0.50 | "), again);
        assertTrue(again.contains("\n- rerun\n"), again);
    }

    @Test
    void withoutAReferenceItPrintsFlashjsColumnsAndTheNotes() {
        CliRun run = CliRun.flashj("bench", "compare", "--ours", ours.toString(), "--note", "PyTorch is not installed here");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("| rmsnorm | rows=3,dim=16 | f32 | cpu | "), run.out());
        assertTrue(run.out().contains("| — | — | — | — |"), run.out());
        assertTrue(run.out().contains("- PyTorch is not installed here"), run.out());
        assertTrue(!run.out().contains(MarkedSection.BEGIN), run.out());
    }

    @Test
    void badFilesAndBrokenMarkersAreReportedByName() throws Exception {
        CliRun missing = CliRun.flashj("bench", "compare", "--ours", dir.resolve("none.json").toString());
        assertEquals(2, missing.exitCode(), missing.toString());
        assertTrue(missing.err().contains("Invalid value for option '--ours': '" + dir.resolve("none.json") + "' is not a file"),
                missing.toString());
        Path notJson = dir.resolve("not.json");
        Files.writeString(notJson, "op,shape\n");
        CliRun garbage = CliRun.flashj("bench", "compare", "--ours", ours.toString(), "--reference", notJson.toString());
        assertEquals(1, garbage.exitCode(), garbage.toString());
        assertTrue(garbage.err().contains("flashj: --reference file " + notJson + " is not a flashj bench JSON report"),
                garbage.toString());
        Path noDevices = dir.resolve("empty.json");
        Files.writeString(noDevices, "{\"date\": \"x\"}");
        CliRun empty = CliRun.flashj("bench", "compare", "--ours", noDevices.toString());
        assertEquals(1, empty.exitCode(), empty.toString());
        assertTrue(empty.err().contains("it has no \"devices\""), empty.toString());
        Path broken = dir.resolve("broken.md");
        Files.writeString(broken, "text\n" + MarkedSection.BEGIN + "\nold\n");
        CliRun markers = CliRun.flashj("bench", "compare", "--ours", ours.toString(), "--write", broken.toString());
        assertEquals(1, markers.exitCode(), markers.toString());
        assertTrue(markers.err().contains(broken + ": the markers of the generated block are broken"), markers.toString());
        assertEquals("text\n" + MarkedSection.BEGIN + "\nold\n", Files.readString(broken), "a broken file is left alone");
    }

    /** scripts/side-by-side.sh writes into a copy of h100.md: its block must be well formed, or the GPU run fails late. */
    @Test
    void theH100PageHasOneWellFormedBlock() throws Exception {
        Path page = Path.of("..", "docs", "perf", "h100.md");
        String text = Files.readString(page);
        String replaced = MarkedSection.replace(text, "new table", page.toString());
        assertTrue(replaced.contains(MarkedSection.BEGIN + "\nnew table\n" + MarkedSection.END), replaced);
        assertEquals(text.substring(0, text.indexOf(MarkedSection.BEGIN)), replaced.substring(0, replaced.indexOf(MarkedSection.BEGIN)));
    }

    @Test
    void markedSectionAppendsOrReplacesOnlyItsBlock() {
        String block = MarkedSection.BEGIN + "\nbody\n" + MarkedSection.END;
        assertEquals(block + "\n", MarkedSection.replace("", "body", "f"));
        assertEquals("a\n\n" + block + "\n", MarkedSection.replace("a", "body\n", "f"));
        assertEquals("a\n\n" + block + "\n", MarkedSection.replace("a\n", "body", "f"));
        String doc = "head\n" + MarkedSection.BEGIN + "\nold\n" + MarkedSection.END + "\ntail\n";
        assertEquals("head\n" + block + "\ntail\n", MarkedSection.replace(doc, "body", "f"));
        String twice = doc + MarkedSection.BEGIN + "\n" + MarkedSection.END + "\n";
        assertThrows(dev.flashj.FlashjException.class, () -> MarkedSection.replace(twice, "body", "f"));
        String reversed = MarkedSection.END + "\n" + MarkedSection.BEGIN + "\n";
        assertThrows(dev.flashj.FlashjException.class, () -> MarkedSection.replace(reversed, "body", "f"));
    }
}
