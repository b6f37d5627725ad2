package dev.flashj.cli.bench;

import dev.flashj.cli.VersionProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code flashj bench}: times FlashJ's kernels on synthetic random inputs (no model file). Without
 * {@code --op} it runs a quick suite of every op on the best device; with {@code --op} and
 * {@code --shape} it runs what it is told, sweeps included. See docs/perf/README-bench.md.
 */
@Command(name = "bench",
        sortOptions = false,
        subcommands = {BenchGenerateCommand.class, BenchCompareCommand.class},
        description = {
                "Benchmark FlashJ's kernels (attention, matmul, RMSNorm, RoPE) on random inputs; no model file needed.",
                "Without --op: a quick suite of every op on the best device (a CUDA GPU, else an OpenCL GPU, else the CPU).",
                "Each row: median and p10-p90 of many runs after warm-up (device time from CUDA events or OpenCL profiling events),"
                        + " GFLOP/s, GB/s, and the fraction of the machine's own ceiling, measured at the start.",
                "Shapes: --shape small | default | key=value,... where a value may be a sweep FROM..TO (doubling) or"
                        + " A/B/C. --list-ops shows each op's keys and defaults."},
        footer = {"", "Examples:",
                "  flashj bench",
                "  flashj bench --device opencl --op flash-prefill --shape b=1,h=32,kvh=8,n=512..8192,d=128 --plot attn.png",
                "  flashj bench --op gemv --shape m=4096,k=4096 --dtype f32,q8_0,q4_0 --json gemv.json",
                "  flashj bench --device cuda --cases scripts/side-by-side-cases.txt --json ours.json",
                "  flashj bench compare --ours ours.json --reference torch.json --write docs/perf/h100.md",
                "  flashj bench generate --shape tinyllama-1.1b --type q8_0   (end-to-end prefill/decode tokens/s)"})
public final class BenchCommand implements Callable<Integer> {
    /** The memory all input sets of one case may take. */
    private static final long INPUT_BUDGET = 768L << 20;

    @Spec
    private CommandSpec spec;

    @Option(names = "--device", paramLabel = "DEVICE", split = ",",
            description = "auto (default: a usable CUDA GPU, else an OpenCL GPU, else the CPU; PoCL counts as a CPU), cpu,"
                    + " cuda or cuda:N, opencl (first GPU, else first device) or opencl:P:D. Several: --device cpu,opencl.")
    private List<String> devices = new ArrayList<>();

    @Option(names = "--op", paramLabel = "NAME[,NAME]", description = "Ops to run (default: the quick suite). See --list-ops.")
    private List<String> ops = new ArrayList<>();

    @Option(names = "--shape", paramLabel = "SHAPE",
            description = "Sizes for the --op ops: small, default, or key=value,... (e.g. b=1,h=32,kvh=8,n=4096,d=128;"
                    + " m=4096,k=4096,n=1); sweep with n=1024..16384 or n=1024/3000. Repeatable.")
    private List<String> shapes = new ArrayList<>();

    @Option(names = "--cases", paramLabel = "FILE",
            description = "Run the cases listed in FILE, one per line: OP SHAPE [DTYPE,...] ('#' starts a comment); dtypes a"
                    + " device lacks are skipped. Instead of --op/--shape.")
    private Path casesFile;

    @Option(names = "--dtype", paramLabel = "TYPE", split = ",",
            description = "Weight types for gemv/gemm: f32, f16, bf16, q8_0, q4_0, q4_k, q6_k; f16, bf16 for every op on CUDA"
                    + " (default: per op and device).")
    private List<String> dtypes = new ArrayList<>();

    @Option(names = "--runs", paramLabel = "N", description = "Most timed runs per case (default: ${DEFAULT-VALUE}).")
    private int maxRuns = 50;

    @Option(names = "--min-runs", paramLabel = "N", description = "Fewest timed runs per case (default: ${DEFAULT-VALUE}).")
    private int minRuns = 7;

    @Option(names = "--warmup", paramLabel = "N", description = "Untimed runs before timing (default: ${DEFAULT-VALUE}).")
    private int warmup = 3;

    @Option(names = "--warmup-seconds", paramLabel = "S",
            description = "Keep warming up until S seconds have passed, too (default: ${DEFAULT-VALUE}).")
    private double warmupSeconds = 0.3;

    @Option(names = "--max-seconds", paramLabel = "S",
            description = "Stop timing a case after S seconds of runs, once --min-runs are done (default: ${DEFAULT-VALUE}).")
    private double maxSeconds = 1;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: one per processor).")
    private int threads;

    @Option(names = "--llc-mib", paramLabel = "MIB",
            description = "Last-level cache the rotating input sets must outgrow, in MiB (default: from /sys, else 64;"
                    + " 64 for GPUs). Raise it on CPUs with larger caches.")
    private int llcMib;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the random inputs (default: ${DEFAULT-VALUE}).")
    private long seed = 42;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the whole report as JSON.")
    private Path json;

    @Option(names = "--csv", paramLabel = "FILE", description = "Also write one CSV row per case.")
    private Path csv;

    @Option(names = "--plot", paramLabel = "FILE.png",
            description = "Also draw a PNG chart: throughput vs the swept size, or %% of ceiling per case.")
    private Path plot;

    @Option(names = "--small-ceilings",
            description = "Measure the ceilings on ~10x smaller sizes (seconds faster, rougher; for smoke runs and tests).")
    private boolean smallCeilings;

    @Option(names = "--list-ops", description = "List the ops with their shape keys and defaults, and exit.")
    private boolean listOps;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        OpRegistry registry = new OpRegistry();
        if (listOps) {
            listOps(out, registry);
            return 0;
        }
        try {
            TimingPlan timing = timingPlan();
            List<OpRegistry.Case> cases = cases(registry);
            List<Dtype> requested = dtypes.stream().map(Dtype::parse).toList();
            checkOutputs();
            List<String> deviceOptions = devices.isEmpty() ? List.of("auto") : devices;
            List<BenchReport.DeviceRun> runs = new ArrayList<>();
            out.println("flashj bench " + VersionProvider.flashjVersion() + " on " + machine());
            for (String option : deviceOptions) {
                runs.add(runDevice(option, cases, requested, timing, out, err));
            }
            BenchReport report = new BenchReport(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                    VersionProvider.flashjVersion(), "Java " + Runtime.version(), machine(), runs);
            if (json != null) {
                ReportFiles.writeJson(json, report);
            }
            if (csv != null) {
                ReportFiles.writeCsv(csv, report);
            }
            if (plot != null) {
                PlotWriter.write(plot, report);
            }
            return 0;
        } catch (BenchUsageException e) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '" + e.option() + "': " + e.getMessage());
        }
    }

    private TimingPlan timingPlan() {
        if (llcMib < 0) {
            throw new BenchUsageException("--llc-mib", "must be positive, was " + llcMib);
        }
        if (warmup < 0 || warmupSeconds < 0 || minRuns < 1 || maxRuns < minRuns || !(maxSeconds > 0) || threads < 0) {
            throw new BenchUsageException(warmup < 0 ? "--warmup" : warmupSeconds < 0 ? "--warmup-seconds"
                    : minRuns < 1 ? "--min-runs" : maxRuns < minRuns ? "--runs" : threads < 0 ? "--threads" : "--max-seconds",
                    "needs --warmup >= 0, --warmup-seconds >= 0, 1 <= --min-runs <= --runs, --max-seconds > 0, --threads >= 0");
        }
        return new TimingPlan(warmup, warmupSeconds, minRuns, maxRuns, maxSeconds);
    }

    /** The quick suite, the --cases file, or every --op at every --shape (the op's default when none is given). */
    private List<OpRegistry.Case> cases(OpRegistry registry) {
        if (casesFile != null) {
            if (!ops.isEmpty() || !shapes.isEmpty()) {
                throw new BenchUsageException("--cases", "give either --cases or --op/--shape, not both");
            }
            return CaseFile.read(casesFile, registry);
        }
        if (ops.isEmpty()) {
            if (!shapes.isEmpty()) {
                throw new BenchUsageException("--shape", "shapes are per op: give --op too");
            }
            return registry.quickSuite();
        }
        List<OpRegistry.Case> cases = new ArrayList<>();
        for (BenchOp op : registry.select(ops)) {
            if (shapes.isEmpty()) {
                cases.add(new OpRegistry.Case(op, op.schema().defaults()));
            }
            for (String text : shapes) {
                try {
                    ShapeParser.parse(op.schema(), text).forEach(s -> cases.add(new OpRegistry.Case(op, s)));
                } catch (BenchUsageException e) {
                    throw new BenchUsageException(e.option(), e.getMessage() + " for op " + op.name());
                }
            }
        }
        return cases;
    }

    private void checkOutputs() {
        for (Path p : new Path[]{json, csv, plot}) {
            if (p != null && p.toAbsolutePath().getParent() != null && !Files.isDirectory(p.toAbsolutePath().getParent())) {
                String option = p == json ? "--json" : p == csv ? "--csv" : "--plot";
                throw new BenchUsageException(option, "'" + p + "': its directory does not exist");
            }
        }
    }

    private BenchReport.DeviceRun runDevice(String option, List<OpRegistry.Case> cases, List<Dtype> requested,
                                            TimingPlan timing, PrintWriter out, PrintWriter err) {
        try (BenchBackend backend = open(DevicePick.resolve(option, DevicePick::probe))) {
            List<BenchRunner.Planned> planned = plan(backend, cases, requested, err);
            err.println("bench: measuring the ceilings of " + backend.id() + " ...");
            err.flush();
            Ceilings ceilings = backend.measureCeilings(smallCeilings);
            BenchReport.DeviceRun header = new BenchReport.DeviceRun(backend.id(), backend.description(),
                    BenchReport.CeilingSummary.of(ceilings), List.of());
            out.println();
            TextReport.header(out, header);
            long cache = llcMib > 0 ? (long) llcMib << 20 : backend.cacheBytes();
            InputPlan inputs = new InputPlan(cache, INPUT_BUDGET, new SplittableRandom(seed));
            List<BenchResult> results = new BenchRunner(backend, ceilings, timing, inputs, err).run(planned);
            TextReport.rows(out, results);
            return new BenchReport.DeviceRun(backend.id(), backend.description(), header.ceilings(), results);
        }
    }

    /** Each case once per dtype to run on {@code backend}; ops the backend lacks are skipped with a note. */
    private static List<BenchRunner.Planned> plan(BenchBackend backend, List<OpRegistry.Case> cases, List<Dtype> requested,
                                                  PrintWriter err) {
        List<BenchRunner.Planned> planned = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        for (OpRegistry.Case c : cases) {
            List<Dtype> supported = c.op().dtypes(backend);
            if (supported.isEmpty()) {
                skipped.put(c.op().name(), "not implemented on " + backend.id());
                continue;
            }
            if (!c.dtypes().isEmpty()) {
                // A --cases line: its dtypes, less those this device lacks (the file may serve several devices).
                for (Dtype d : c.dtypes()) {
                    if (supported.contains(d)) {
                        c.op().validate(backend, c.shape(), d);
                        planned.add(new BenchRunner.Planned(c.op(), c.shape(), d));
                    } else {
                        skipped.put(c.op().name() + " " + d.cliName(), "no " + d.cliName() + " kernel on " + backend.id());
                    }
                }
                continue;
            }
            List<Dtype> chosen = requested.isEmpty() ? c.op().defaultDtypes(backend)
                    : requested.stream().filter(supported::contains).toList();
            if (chosen.isEmpty()) {
                throw new BenchUsageException("--dtype", "op " + c.op().name() + " on " + backend.id() + " has none of "
                        + String.join(",", requested.stream().map(Dtype::cliName).toList()) + " (it has "
                        + String.join(",", supported.stream().map(Dtype::cliName).toList()) + ")");
            }
            for (Dtype d : chosen) {
                c.op().validate(backend, c.shape(), d);
                planned.add(new BenchRunner.Planned(c.op(), c.shape(), d));
            }
        }
        skipped.forEach((op, why) -> err.println("bench: skipping " + op + ": " + why));
        if (planned.isEmpty()) {
            throw new BenchUsageException("--op", "nothing to run on " + backend.id());
        }
        return planned;
    }

    private BenchBackend open(String device) {
        if (device.equals("cpu")) {
            return new CpuBackend(threads);
        }
        return device.startsWith("cuda") ? CudaBackend.open(device) : OpenClBackend.open(device);
    }

    private static void listOps(PrintWriter out, OpRegistry registry) {
        for (BenchOp op : registry.all()) {
            out.println(op.name() + ": " + op.summary());
            out.println("  default shape: " + op.schema().describeDefaults());
            op.schema().presets().forEach((name, shape) -> out.println("  preset " + name + ": " + shape));
            for (ShapeSchema.Key k : op.schema().keys()) {
                out.println("    " + k.name() + "  " + k.meaning());
            }
        }
        out.flush();
    }

    /** The host's CPU model, processor count and OS, for the report. */
    static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: the processor count and OS still say something.
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " processors, " + System.getProperty("os.name")
                + " " + System.getProperty("os.arch");
    }
}
