package dev.flashj.cli.bench;

import dev.flashj.backend.Availability;
import dev.flashj.cli.CliRun;
import dev.flashj.cuda.CudaBackendProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code flashj bench --device cuda}: the clean failure without a usable GPU, the choice of device for
 * auto, and (on a GPU only) every CUDA case checked against its float64 reference.
 */
class CudaBenchTest {
    private static final String[] QUICK = {"--runs", "2", "--min-runs", "1", "--warmup", "0", "--warmup-seconds", "0",
            "--small-ceilings"};

    private static Availability cuda() {
        return new CudaBackendProvider().availability();
    }

    @Test
    void withoutAUsableGpuCudaFailsWithTheReasonAndExitOne() {
        Availability cuda = cuda();
        Assumptions.assumeFalse(cuda.available(), "this machine has a usable CUDA GPU: " + cuda.reason());
        for (String device : List.of("cuda", "cuda:1")) {
            CliRun run = CliRun.flashj(concat(new String[]{"bench", "--device", device, "--op", "rmsnorm", "--shape", "small"},
                    QUICK));
            assertEquals(1, run.exitCode(), run.toString());
            String expected = "flashj: --device " + (device.equals("cuda") ? "cuda:0" : device) + ": CUDA is not usable here: ";
            assertTrue(run.err().contains(expected), run.toString());
            // The reason `flashj devices` gives first (here "libcuda.so.1 not found", or "built without CUDA kernels").
            String reason = cuda.reason().split("; ")[0];
            assertTrue(run.err().contains(reason), run + "\nexpected the reason: " + reason);
            assertTrue(!run.err().contains("internal error") && !run.err().contains("Exception"), run.toString());
            assertTrue(!run.out().contains("ceiling"), run.toString());
        }
    }

    @Test
    void autoPicksCudaThenAnOpenClGpuThenTheCpu() {
        Availability no = Availability.no("libcuda.so.1 not found");
        assertEquals("cuda:0", new DevicePick(Availability.yes("driver 13.0, 1 usable device(s)"), Optional.of("opencl:0:0")).best());
        assertEquals("opencl:1:0", new DevicePick(no, Optional.of("opencl:1:0")).best());
        assertEquals("cpu", new DevicePick(no, Optional.empty()).best());
        assertEquals("opencl:1:0", DevicePick.resolve("AUTO", () -> new DevicePick(no, Optional.of("opencl:1:0"))));
    }

    @Test
    void explicitDevicesAreCheckedForFormOnlyWithoutProbing() {
        java.util.function.Supplier<DevicePick> noProbe = () -> {
            throw new AssertionError("an explicit device must not probe the machine");
        };
        assertEquals("cuda:0", DevicePick.resolve("cuda", noProbe));
        assertEquals("cuda:2", DevicePick.resolve(" CUDA:2 ", noProbe));
        assertEquals("opencl:0:1", DevicePick.resolve("opencl:0:1", noProbe));
        assertEquals("cpu", DevicePick.resolve("cpu", noProbe));
        for (String bad : List.of("cuda:", "cuda:x", "cuda:0:0", "gpu", "opencl:1")) {
            BenchUsageException e = assertThrows(BenchUsageException.class, () -> DevicePick.resolve(bad, noProbe));
            assertEquals("--device", e.option());
        }
    }

    @Test
    void autoOnThisMachineIsTheBestUsableDevice() {
        String picked = DevicePick.probe().best();
        if (cuda().available()) {
            assertEquals("cuda:0", picked);
        } else {
            assertTrue(picked.equals("cpu") || picked.startsWith("opencl:"), picked);
        }
    }

    @Test
    void everyCudaCaseMatchesItsReferenceOnTheGpu() {
        Availability cuda = cuda();
        Assumptions.assumeTrue(cuda.available(), "no usable CUDA GPU: " + cuda.reason());
        try (CudaBackend backend = CudaBackend.open("cuda")) {
            Ceilings assumed = new Ceilings(1e12, "assumed", 100e12, "assumed");
            InputPlan inputs = new InputPlan(1 << 16, 1 << 24, new SplittableRandom(5));
            BenchRunner runner = new BenchRunner(backend, assumed, new TimingPlan(1, 0, 2, 2, 1), inputs,
                    new PrintWriter(new StringWriter()));
            OpRegistry registry = new OpRegistry();
            List<BenchRunner.Planned> planned = new java.util.ArrayList<>();
            for (Dtype dtype : List.of(Dtype.F16, Dtype.BF16)) {
                planned.add(planned(registry, "gemv", "m=67,k=256", dtype));
                planned.add(planned(registry, "gemm", "m=130,k=264,n=9", dtype));
                planned.add(planned(registry, "gemm", "m=67,k=250,n=33", dtype));
                planned.add(planned(registry, "flash-prefill", "b=2,h=4,kvh=2,n=97,d=128", dtype));
                planned.add(planned(registry, "flash-prefill", "b=1,h=6,kvh=3,n=61,d=40", dtype));
                planned.add(planned(registry, "flash-decode", "h=8,kvh=2,n=1000,d=64", dtype));
                planned.add(planned(registry, "rmsnorm", "rows=5,dim=257", dtype));
                planned.add(planned(registry, "rope", "t=7,h=3,d=64", dtype));
            }
            for (BenchResult r : runner.run(planned)) {
                assertEquals(backend.id(), r.device());
                assertTrue(r.checkError() <= CudaData.tolerance(CudaData.storage(Dtype.parse(r.dtype()))), r.toString());
                assertTrue(r.medianMs() > 0 && r.p10Ms() <= r.p90Ms(), r.toString());
            }
        }
    }

    private static BenchRunner.Planned planned(OpRegistry registry, String name, String shape, Dtype dtype) {
        BenchOp op = registry.find(name).orElseThrow();
        return new BenchRunner.Planned(op, ShapeParser.parseOne(op.schema(), shape, "test"), dtype);
    }

    static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
