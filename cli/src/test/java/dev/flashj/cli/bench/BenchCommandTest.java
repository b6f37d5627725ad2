package dev.flashj.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    /** Few, short runs: the test checks the plumbing, not the numbers. */
    private static final String[] QUICK_TIMING = {"--runs", "3", "--min-runs", "2", "--warmup", "1", "--warmup-seconds", "0"};

    @Test
    void tinyCpuRunWritesJsonCsvAndPng(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        Path csv = dir.resolve("bench.csv");
        Path png = dir.resolve("bench.png");
        CliRun run = CliRun.flashj(concat(new String[]{"bench", "--device", "cpu", "--threads", "1", "--op", "rmsnorm,gemv",
                "--shape", "small", "--small-ceilings", "--json", json.toString(), "--csv", csv.toString(), "--plot", png.toString()}, QUICK_TIMING));
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("ceiling bandwidth"), run.toString());
        assertTrue(run.err().contains("bench [1/4] rmsnorm rows=5,dim=67 f32 on cpu (3 left after this)"), run.toString());

        List<String> lines = Files.readAllLines(csv);
        assertEquals(BenchResult.CSV_HEADER, lines.getFirst());
        // rmsnorm f32, then gemv with the CPU's default weight types f32, q8_0, q4_0.
        assertEquals(List.of("rmsnorm", "gemv", "gemv", "gemv"), lines.subList(1, lines.size()).stream()
                .map(l -> l.substring(0, l.indexOf(','))).toList());
        assertTrue(lines.get(3).startsWith("gemv,\"m=67,k=256,n=1\",q8_0,cpu,"), lines.get(3));

        JsonNode root = new ObjectMapper().readTree(json.toFile());
        JsonNode device = root.get("devices").get(0);
        assertEquals("cpu", device.get("device").asText());
        assertTrue(device.get("ceilings").get("bandwidth_gbps").asDouble() > 0);
        assertTrue(device.get("ceilings").get("compute_gflops").asDouble() > 0);
        for (JsonNode row : device.get("results")) {
            for (String column : BenchResult.CSV_HEADER.split(",")) {
                assertTrue(row.has(column), "JSON row lacks " + column + ": " + row);
            }
            double median = row.get("median_ms").asDouble();
            assertTrue(row.get("p10_ms").asDouble() <= median && median <= row.get("p90_ms").asDouble(), row.toString());
            assertTrue(row.get("check_error").asDouble() < 1e-3, row.toString());
            assertTrue(row.get("gbps").asDouble() > 0 && row.get("ceiling_fraction").asDouble() > 0, row.toString());
        }

        byte[] signature = Arrays.copyOf(Files.readAllBytes(png), 8);
        assertArrayEquals(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, signature);
        assertTrue(javax.imageio.ImageIO.read(png.toFile()).getWidth() > 0);
    }

    @Test
    void badShapeIsAUsageErrorNamingTheOption() {
        CliRun run = CliRun.flashj("bench", "--op", "gemv", "--shape", "m=4096,k=lots");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("Invalid value for option '--shape': 'm=4096,k=lots': k=lots: not a whole number"
                + " for op gemv"), run.toString());
    }

    @Test
    void unknownOpDtypeAndDeviceAreUsageErrors() {
        CliRun op = CliRun.flashj("bench", "--op", "softmax");
        assertEquals(2, op.exitCode(), op.toString());
        assertTrue(op.err().contains("option '--op': unknown op 'softmax'"), op.toString());
        CliRun dtype = CliRun.flashj("bench", "--op", "gemv", "--dtype", "q9_9");
        assertEquals(2, dtype.exitCode(), dtype.toString());
        assertTrue(dtype.err().contains("option '--dtype': unknown dtype 'q9_9'"), dtype.toString());
        CliRun shapeAlone = CliRun.flashj("bench", "--shape", "small");
        assertEquals(2, shapeAlone.exitCode(), shapeAlone.toString());
        assertTrue(shapeAlone.err().contains("option '--shape': shapes are per op: give --op too"), shapeAlone.toString());
        CliRun cache = CliRun.flashj("bench", "--op", "rope", "--llc-mib", "-1");
        assertEquals(2, cache.exitCode(), cache.toString());
        assertTrue(cache.err().contains("option '--llc-mib': must be positive, was -1"), cache.toString());
        CliRun device = CliRun.flashj("bench", "--device", "tpu", "--op", "rope", "--shape", "small");
        assertEquals(2, device.exitCode(), device.toString());
        assertTrue(device.err().contains("option '--device': 'tpu' is not auto, cpu, cuda, cuda:N, opencl or opencl:P:D"), device.toString());
    }

    @Test
    void shapeThatBreaksAnOpRelationIsAUsageError() {
        CliRun run = CliRun.flashj(concat(new String[]{"bench", "--device", "cpu", "--threads", "1", "--op", "flash-decode",
                "--shape", "h=6,kvh=4,n=8,d=8"}, QUICK_TIMING));
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("option '--shape': h=6 is not a multiple of kvh=4"), run.toString());
    }

    @Test
    void helpDocumentsTheShapeSyntax() {
        CliRun run = CliRun.flashj("bench", "--help");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("FROM..TO (doubling)") && run.out().contains("or % of ceiling per case"), run.out());
    }

    @Test
    void listOpsShowsEveryOpWithItsDefaults() {
        CliRun run = CliRun.flashj("bench", "--list-ops");
        assertEquals(0, run.exitCode(), run.toString());
        for (BenchOp op : new OpRegistry().all()) {
            assertTrue(run.out().contains(op.name() + ": ") && run.out().contains(op.schema().describeDefaults()), op.name());
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
