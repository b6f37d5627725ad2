package dev.flashj.cli.bench;

import dev.flashj.FlashjException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every op's first-run check passes on its small shape, and a wrong reference stops the benchmark. */
class SanityCheckTest {
    /** Made-up ceilings: these tests do not measure the machine. */
    private static final Ceilings CEILINGS = new Ceilings(10e9, "assumed", 100e9, "assumed");
    private static final TimingPlan TIMING = new TimingPlan(0, 0, 1, 1, 1);
    private static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    private static BenchRunner runner(UnaryOperator<Comparison> hook) {
        InputPlan inputs = new InputPlan(1 << 16, 1 << 24, new SplittableRandom(3));
        return new BenchRunner(cpu, CEILINGS, TIMING, inputs, new PrintWriter(new StringWriter()), hook);
    }

    @Test
    void everyCpuOpPassesItsCheckOnTheSmallShapeInEveryDtype() {
        for (BenchOp op : new OpRegistry().all()) {
            for (Dtype dtype : op.dtypes(cpu)) {
                Shape small = op.schema().presets().get("small");
                BenchResult r = runner(UnaryOperator.identity()).run(new BenchRunner.Planned(op, small, dtype));
                assertTrue(r.checkError() < 1e-3, op.name() + " " + dtype + ": " + r);
                assertTrue(r.medianMs() > 0 && r.inputSets() >= 1, r.toString());
            }
        }
    }

    @Test
    void aWrongReferenceFailsLoudlyNamingTheCase() {
        BenchOp gemv = new OpRegistry().select(List.of("gemv")).getFirst();
        UnaryOperator<Comparison> offByOnePercent = c -> {
            double[] wrong = c.expected().clone();
            wrong[wrong.length / 2] *= 1.01;
            return new Comparison(c.actual(), wrong, c.tolerance(), "deliberately wrong reference");
        };
        FlashjException e = assertThrows(FlashjException.class, () -> runner(offByOnePercent)
                .run(new BenchRunner.Planned(gemv, gemv.schema().presets().get("small"), Dtype.Q8_0)));
        assertTrue(e.getMessage().startsWith("sanity check failed for gemv m=67,k=256,n=1 q8_0 on cpu: relative error"),
                e.getMessage());
        assertTrue(e.getMessage().contains("against the deliberately wrong reference"), e.getMessage());
    }

    @Test
    void anUnwrittenOutputElementFailsTheCheck() {
        Comparison poisoned = new Comparison(new double[]{1, Double.NaN, 3}, new double[]{1, 2, 3}, 1e-3, "test");
        assertFalse(poisoned.passes());
        assertEquals(1, poisoned.worstIndex());
        assertEquals(Double.POSITIVE_INFINITY, poisoned.relativeError());
    }
}
