package dev.flashj.cli.bench;

import dev.flashj.opencl.OpenClBackendProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** On an OpenCL device (PoCL in CI): device-event timing, and checks against the CPU implementations. */
class OpenClBenchTest {

    @Test
    void smallOpsRunCheckedAgainstTheCpuAndTimedOnTheDeviceClock() {
        var availability = new OpenClBackendProvider().availability();
        Assumptions.assumeTrue(availability.available(), "no OpenCL here: " + availability.reason());
        try (OpenClBackend backend = OpenClBackend.open("opencl")) {
            Ceilings assumed = new Ceilings(10e9, "assumed", 100e9, "assumed");
            InputPlan inputs = new InputPlan(1 << 16, 1 << 24, new SplittableRandom(5));
            BenchRunner runner = new BenchRunner(backend, assumed, new TimingPlan(1, 0, 2, 2, 1), inputs,
                    new PrintWriter(new StringWriter()));
            OpRegistry registry = new OpRegistry();
            List<BenchRunner.Planned> planned = List.of(
                    planned(registry, "rmsnorm", Dtype.F32), planned(registry, "gemv", Dtype.F16),
                    planned(registry, "flash-decode", Dtype.F32), planned(registry, "paged-decode", Dtype.F32));
            for (BenchResult r : runner.run(planned)) {
                assertEquals(backend.id(), r.device());
                assertTrue(r.checkError() < 1e-3, r.toString());
                assertTrue(r.medianMs() > 0 && r.p10Ms() <= r.p90Ms(), r.toString());
            }
        }
    }

    private static BenchRunner.Planned planned(OpRegistry registry, String name, Dtype dtype) {
        BenchOp op = registry.select(List.of(name)).getFirst();
        return new BenchRunner.Planned(op, op.schema().presets().get("small"), dtype);
    }
}
