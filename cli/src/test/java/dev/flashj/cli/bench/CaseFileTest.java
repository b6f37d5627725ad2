package dev.flashj.cli.bench;

import dev.flashj.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --cases FILE}: one case a line, comments, per-line dtypes, errors naming the line. */
class CaseFileTest {
    private final OpRegistry registry = new OpRegistry();

    @Test
    void linesGiveOpsShapesAndDtypes() {
        List<OpRegistry.Case> cases = CaseFile.parse(List.of(
                "# a comment",
                "",
                "gemv m=64,k=256,n=1 f16,bf16   # trailing comment",
                "rmsnorm rows=3,dim=8",
                "rope t=2..8,h=1,d=4 f32"), "cases.txt", registry);
        assertEquals(5, cases.size());
        assertEquals("gemv", cases.getFirst().op().name());
        assertEquals("m=64,k=256,n=1", cases.getFirst().shape().toString());
        assertEquals(List.of(Dtype.F16, Dtype.BF16), cases.getFirst().dtypes());
        assertEquals(List.of(), cases.get(1).dtypes());
        assertEquals(List.of("t=2,h=1,d=4", "t=4,h=1,d=4", "t=8,h=1,d=4"),
                cases.subList(2, 5).stream().map(c -> c.shape().toString()).toList());
    }

    @Test
    void badLinesAreUsageErrorsNamingFileAndLine() {
        BenchUsageException op = assertThrows(BenchUsageException.class,
                () -> CaseFile.parse(List.of("gemv m=4,k=32", "softmax n=3"), "x.txt", registry));
        assertEquals("--cases", op.option());
        assertTrue(op.getMessage().startsWith("x.txt line 2: unknown op 'softmax'"), op.getMessage());
        BenchUsageException shape = assertThrows(BenchUsageException.class,
                () -> CaseFile.parse(List.of("gemv m=4,q=32"), "x.txt", registry));
        assertTrue(shape.getMessage().contains("x.txt line 1: 'm=4,q=32': unknown size 'q'"), shape.getMessage());
        BenchUsageException dtype = assertThrows(BenchUsageException.class,
                () -> CaseFile.parse(List.of("gemv m=4,k=32 f17"), "x.txt", registry));
        assertTrue(dtype.getMessage().contains("x.txt line 1: unknown dtype 'f17'"), dtype.getMessage());
        BenchUsageException fields = assertThrows(BenchUsageException.class,
                () -> CaseFile.parse(List.of("gemv"), "x.txt", registry));
        assertTrue(fields.getMessage().contains("is not OP SHAPE [DTYPE,...]"), fields.getMessage());
        BenchUsageException empty = assertThrows(BenchUsageException.class,
                () -> CaseFile.parse(List.of("# nothing"), "x.txt", registry));
        assertTrue(empty.getMessage().contains("x.txt lists no case"), empty.getMessage());
    }

    /** The PyTorch side knows no defaults: every line of the side-by-side file must give every key, once. */
    @Test
    void theSideBySideFileParsesAndGivesEveryKey() throws Exception {
        Path file = Path.of("..", "scripts", "side-by-side-cases.txt");
        List<OpRegistry.Case> cases = CaseFile.read(file, registry);
        assertTrue(cases.size() >= 10, cases.toString());
        for (String line : Files.readAllLines(file)) {
            String text = line.replaceAll("#.*", "").trim();
            if (text.isEmpty()) {
                continue;
            }
            String[] fields = text.split("\\s+");
            assertEquals(3, fields.length, "OP SHAPE DTYPES: " + line);
            BenchOp op = registry.find(fields[0]).orElseThrow();
            Set<String> written = new TreeSet<>(Arrays.stream(fields[1].split(",")).map(p -> p.substring(0, p.indexOf('='))).toList());
            Set<String> keys = new TreeSet<>(op.schema().keys().stream().map(ShapeSchema.Key::name).toList());
            assertEquals(keys, written, line);
            assertTrue(!fields[1].contains("..") && !fields[1].contains("/"), "no sweeps: " + line);
        }
    }

    @Test
    void theCudaSmokeFileAsksForBothSixteenBitTypesOfEveryCudaOp() {
        List<OpRegistry.Case> cases = CaseFile.read(Path.of("..", "scripts", "cuda-smoke-cases.txt"), registry);
        Set<String> ops = new TreeSet<>();
        for (OpRegistry.Case c : cases) {
            assertEquals(List.of(Dtype.F16, Dtype.BF16), c.dtypes(), c.toString());
            ops.add(c.op().name());
        }
        assertEquals(Set.of("gemv", "gemm", "flash-prefill", "flash-decode", "rmsnorm", "rope"), ops);
    }

    @Test
    void casesRunOnTheCpuSkippingDtypesItLacks(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cases.txt");
        Files.writeString(file, "rmsnorm rows=3,dim=16 f32,f16\ngemv m=8,k=64,n=1 q8_0\n");
        CliRun run = CliRun.flashj("bench", "--device", "cpu", "--threads", "1", "--cases", file.toString(), "--small-ceilings",
                "--runs", "2", "--min-runs", "1", "--warmup", "0", "--warmup-seconds", "0");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("bench: skipping rmsnorm f16: no f16 kernel on cpu"), run.toString());
        assertTrue(run.err().contains("bench [2/2] gemv m=8,k=64,n=1 q8_0 on cpu"), run.toString());
        CliRun both = CliRun.flashj("bench", "--cases", file.toString(), "--op", "gemv");
        assertEquals(2, both.exitCode(), both.toString());
        assertTrue(both.err().contains("option '--cases': give either --cases or --op/--shape, not both"), both.toString());
        CliRun missing = CliRun.flashj("bench", "--cases", dir.resolve("nope.txt").toString());
        assertEquals(2, missing.exitCode(), missing.toString());
        assertTrue(missing.err().contains("option '--cases': cannot read"), missing.toString());
    }
}
