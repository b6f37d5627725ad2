package dev.flashj.cli.bench;

import dev.flashj.FlashjException;
import dev.flashj.api.Device;
import dev.flashj.backend.BackendProvider;
import dev.flashj.cli.Json;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.MemoryReadBandwidth;
import dev.flashj.kv.KvLayout;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelLoader;
import dev.flashj.model.cpu.CpuLlamaModel;
import dev.flashj.model.cpu.WeightMemory;
import dev.flashj.synthetic.SyntheticModelCache;
import dev.flashj.synthetic.SyntheticShape;
import dev.flashj.synthetic.SyntheticWeightType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;

/**
 * {@code flashj bench generate}: prefill and decode speed of a whole model, on a synthetic
 * LLaMA-shaped model with random weights (written once into a cache directory) or on a real file.
 * Decode reads every weight once per token, so its speed is judged as weight bytes per second
 * against the plain memory-read bandwidth measured in the same run (CPU only).
 */
@Command(name = "generate", sortOptions = false,
        description = {"Measure prefill and decode speed on a synthetic model with random weights (or a real one),",
                "and decode's weight-read rate against the memory-read bandwidth measured in the same run."})
public final class BenchGenerateCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    private SyntheticShape shape = SyntheticShape.TINYLLAMA_1_1B;
    private boolean shapeGiven;
    private Integer layers;
    private SyntheticWeightType type = SyntheticWeightType.Q8_0;
    private boolean typeGiven;
    private int promptTokens = 64;
    private int decodeTokens = 32;
    private int threads;
    private Device device = Device.CPU;
    private String deviceAddress = "";
    private int runs = 3;

    @Option(names = {"-m", "--model"}, paramLabel = "PATH",
            description = "Benchmark this model file instead of a synthetic one (not with --shape, --layers, --type).")
    private Path modelPath;

    @Option(names = "--shape", paramLabel = "NAME",
            description = "Synthetic model shape: stories260k, stories110m, tinyllama-1.1b, llama-1b, llama-8b."
                    + " Default: tinyllama-1.1b.")
    void setShape(String value) {
        try {
            shape = SyntheticShape.named(value);
            shapeGiven = true;
        } catch (FlashjException e) {
            throw invalid("--shape", e.getMessage());
        }
    }

    @Option(names = "--layers", paramLabel = "N", description = "Keep only N layers of the shape (same per-layer cost).")
    void setLayers(int value) {
        if (value < 1) {
            throw invalid("--layers", "must be >= 1, was " + value);
        }
        layers = value;
    }

    @Option(names = "--type", paramLabel = "TYPE", description = "Weight type of the synthetic model: f32, f16, q8_0, q4_0 (every matrix),"
            + " q4_k, int4-g128, int4-g32, fp8 (the types flashj quantize gives). Default: q8_0.")
    void setType(String value) {
        try {
            type = SyntheticWeightType.parse(value);
            typeGiven = true;
        } catch (FlashjException e) {
            throw invalid("--type", e.getMessage());
        }
    }

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "Seed of the synthetic weights and of the prompts. Default: 42.")
    private long seed;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where synthetic models are kept between runs. Default: ${java.io.tmpdir}/flashj-synthetic.")
    private Path cacheDirectory;

    @Option(names = "--prompt-tokens", paramLabel = "N", description = "Prompt length, fed as one batch. Default: 64.")
    void setPromptTokens(int value) {
        if (value < 1) {
            throw invalid("--prompt-tokens", "must be >= 1, was " + value);
        }
        promptTokens = value;
    }

    @Option(names = {"-n", "--decode-tokens"}, paramLabel = "N", description = "Tokens decoded one at a time. Default: 32.")
    void setDecodeTokens(int value) {
        if (value < 1) {
            throw invalid("--decode-tokens", "must be >= 1, was " + value);
        }
        decodeTokens = value;
    }

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: one per available processor).")
    void setThreads(int value) {
        if (value < 1) {
            throw invalid("--threads", "must be >= 1, was " + value);
        }
        threads = value;
    }

    @Option(names = "--device", paramLabel = "DEVICE",
            description = "cpu (default), cuda or opencl[:P:D]: where the model runs. The read-bandwidth reference is"
                    + " measured on the CPU only.")
    void setDevice(String value) {
        int colon = value.indexOf(':');
        try {
            device = Device.parse(colon < 0 ? value : value.substring(0, colon));
        } catch (FlashjException e) {
            throw invalid("--device", e.getMessage());
        }
        deviceAddress = colon < 0 ? "" : value.substring(colon + 1);
        if (device == Device.AUTO) {
            throw invalid("--device", "a benchmark needs an explicit device: cpu, cuda or opencl");
        }
        if (!deviceAddress.isEmpty() && (device != Device.OPENCL || !deviceAddress.matches("\\d+:\\d+"))) {
            throw invalid("--device", "'" + value + "': a device address is written opencl:P:D (two numbers)");
        }
    }

    @Option(names = "--runs", paramLabel = "N", description = "Timed runs; the best is reported. Default: 3.")
    void setRuns(int value) {
        if (value < 1) {
            throw invalid("--runs", "must be >= 1, was " + value);
        }
        runs = value;
    }

    private int readBufferMib = 512;

    @Option(names = "--read-buffer-mib", paramLabel = "MIB",
            description = "Size of the buffer the memory-read bandwidth is measured on; keep it far above the"
                    + " last-level cache. Default: 512.")
    void setReadBufferMib(int value) {
        if (value < 1) {
            throw invalid("--read-buffer-mib", "must be >= 1, was " + value);
        }
        readBufferMib = value;
    }

    private WeightMemory weightMemory = WeightMemory.HUGE_PAGES;

    @Option(names = "--weight-memory", paramLabel = "WHERE",
            description = "CPU only: huge-pages (default: weight matrices copied into transparent huge pages where"
                    + " the OS offers them) or file (read in place from the mapped file).")
    void setWeightMemory(String value) {
        weightMemory = switch (value) {
            case "huge-pages" -> WeightMemory.HUGE_PAGES;
            case "file" -> WeightMemory.FILE_MAPPING;
            default -> throw invalid("--weight-memory", "'" + value + "': expected huge-pages or file");
        };
    }

    @Option(names = "--json", description = "Print one JSON object with every figure and run.")
    private boolean json;

    @Override
    public Integer call() {
        if (modelPath != null && (shapeGiven || layers != null || typeGiven)) {
            throw new ParameterException(spec.commandLine(),
                    "--model benchmarks a file as it is: it cannot be combined with --shape, --layers or --type");
        }
        SyntheticShape chosen = layers == null ? shape : shape.withLayers(layers);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ProgressLine progress = new ProgressLine(err);
        int threadCount = threads > 0 ? threads : CpuThreads.defaultThreads();
        try (CpuThreads pool = new CpuThreads(threadCount)) {
            return run(pool, chosen, progress, out);
        } finally {
            progress.clear(); // a failure's message starts on a clean line
        }
    }

    /** Writes or opens the model, loads it on the device, measures, and prints the report. */
    private int run(CpuThreads pool, SyntheticShape chosen, ProgressLine progress, PrintWriter out) {
        Path path = modelPath != null ? modelPath : synthesize(chosen, pool, progress);
        ModelFile file = ModelLoader.open(path, Optional.empty());
        long bytesPerToken;
        long fileWeightBytes;
        try {
            requireContext(file.config().contextLength());
            bytesPerToken = WeightTraffic.bytesPerDecodedToken(file);
            fileWeightBytes = file.tensors().stream().mapToLong(t -> t.byteSize()).sum();
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
        progress.show("loading " + path.getFileName() + "...");
        try (LanguageModel model = load(file, pool);
             MemoryReadBandwidth reference = device == Device.CPU ? new MemoryReadBandwidth(pool, readBufferMib) : null) {
            progress.clear();
            List<GenerationBenchmark.Run> results = new GenerationBenchmark(model, Optional.ofNullable(reference), progress,
                    seed).measure(promptTokens, decodeTokens, runs);
            Summary summary = new Summary(results, bytesPerToken);
            if (json) {
                Json.write(out, toJson(path, chosen, model, fileWeightBytes, summary));
            } else {
                printText(out, path, chosen, model, fileWeightBytes, summary);
            }
        }
        return 0;
    }

    /** Best figures over the runs (each maximum taken on its own), and the weight traffic they imply. */
    private record Summary(List<GenerationBenchmark.Run> runs, long bytesPerToken) {
        double best(ToDoubleFunction<GenerationBenchmark.Run> figure) {
            return runs.stream().mapToDouble(figure).max().orElseThrow();
        }

        double prefill() {
            return best(GenerationBenchmark.Run::prefillTokensPerSecond);
        }

        double decode() {
            return best(GenerationBenchmark.Run::decodeTokensPerSecond);
        }

        double weightRead() {
            return decode() * bytesPerToken;
        }

        double prefillPerCpuSecond() {
            return best(GenerationBenchmark.Run::prefillTokensPerCpuSecond);
        }

        double decodePerCpuSecond() {
            return best(GenerationBenchmark.Run::decodeTokensPerCpuSecond);
        }

        /** NaN off the CPU. */
        double memoryRead() {
            return best(GenerationBenchmark.Run::readBytesPerSecond);
        }
    }

    private Path synthesize(SyntheticShape chosen, CpuThreads pool, ProgressLine progress) {
        SyntheticModelCache cache = new SyntheticModelCache(cacheDirectory != null ? cacheDirectory
                : SyntheticModelCache.defaultDirectory());
        if (!cache.contains(chosen, type, seed)) {
            String name = chosen.name() + " " + type.cliName();
            progress.show("writing " + name + "...");
            cache.getOrWrite(chosen, type, seed, pool, (bytes, total) -> progress.update(String.format(Locale.ROOT,
                    "writing %s: %.0f%% of %.2f GB", name, 100.0 * bytes / total, total / 1e9)));
            progress.clear();
        }
        return cache.path(chosen, type, seed);
    }

    private void requireContext(int contextLength) {
        if ((long) promptTokens + decodeTokens > contextLength) {
            throw invalid("--prompt-tokens", promptTokens + " prompt + " + decodeTokens
                    + " decode tokens exceed the model's context of " + contextLength);
        }
    }

    /** The CPU model on {@code pool}, or a GPU backend's model; owns {@code file} either way. */
    private LanguageModel load(ModelFile file, CpuThreads pool) {
        if (device == Device.CPU) {
            return CpuLlamaModel.load(file, pool, CpuLlamaModel.DEFAULT_KV_BUDGET, KvLayout.DEFAULT_BLOCK_SIZE, weightMemory);
        }
        String name = device.cliName();
        BackendProvider provider = null;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.name().equalsIgnoreCase(name)) {
                provider = p;
            }
        }
        String problem = provider == null ? "no provider named '" + name + "' on the class path"
                : !provider.availability().available() ? provider.availability().reason()
                : !provider.runsModels() ? "it cannot run models yet" : null;
        if (problem != null) {
            file.close();
            throw new FlashjException("the " + name + " backend is not available: " + problem);
        }
        return provider.loadModel(file, deviceAddress.isEmpty() ? name : name + ":" + deviceAddress);
    }

    private Map<String, Object> toJson(Path path, SyntheticShape chosen, LanguageModel model, long fileWeightBytes,
                                       Summary s) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", path.toString());
        if (modelPath == null) {
            doc.put("shape", chosen.name());
            doc.put("layers", chosen.layers());
            doc.put("type", type.cliName());
            doc.put("seed", seed);
        }
        doc.put("device", model.deviceDescription());
        doc.put("weight_memory", device == Device.CPU ? (weightMemory == WeightMemory.HUGE_PAGES ? "huge-pages" : "file") : null);
        doc.put("threads", device == Device.CPU ? (Object) (threads > 0 ? threads : CpuThreads.defaultThreads()) : null);
        doc.put("prompt_tokens", promptTokens);
        doc.put("decode_tokens", decodeTokens);
        doc.put("runs", runs);
        doc.put("weight_bytes", fileWeightBytes);
        doc.put("weight_bytes_per_token", s.bytesPerToken());
        doc.put("prefill_tokens_per_second", s.prefill());
        doc.put("decode_tokens_per_second", s.decode());
        doc.put("weight_read_gb_per_second", s.weightRead() / 1e9);
        doc.put("prefill_tokens_per_cpu_second", finiteOrNull(s.prefillPerCpuSecond()));
        doc.put("decode_tokens_per_cpu_second", finiteOrNull(s.decodePerCpuSecond()));
        boolean cpu = device == Device.CPU;
        doc.put("memory_read_gb_per_second", cpu ? s.memoryRead() / 1e9 : null);
        doc.put("percent_of_read_bandwidth", cpu ? 100 * s.weightRead() / s.memoryRead() : null);
        doc.put("load_average", loadAverage());
        doc.put("per_run", s.runs().stream().map(r -> {
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("prefill_tokens_per_second", r.prefillTokensPerSecond());
            run.put("decode_tokens_per_second", r.decodeTokensPerSecond());
            run.put("prefill_tokens_per_cpu_second", finiteOrNull(r.prefillTokensPerCpuSecond()));
            run.put("decode_tokens_per_cpu_second", finiteOrNull(r.decodeTokensPerCpuSecond()));
            run.put("memory_read_gb_per_second", cpu ? r.readBytesPerSecond() / 1e9 : null);
            return run;
        }).toList());
        return doc;
    }

    private void printText(PrintWriter out, Path path, SyntheticShape chosen, LanguageModel model, long fileWeightBytes,
                           Summary s) {
        String what = modelPath != null ? path.toString()
                : "synthetic " + chosen.describe() + ", " + type.cliName() + " (" + path + ")";
        out.printf(Locale.ROOT, "model: %s%n", what);
        out.printf(Locale.ROOT, "device: %s%n", model.deviceDescription());
        out.printf(Locale.ROOT, "weights: %.3f GB in the file, %.3f GB read per decoded token%n", fileWeightBytes / 1e9,
                s.bytesPerToken() / 1e9);
        out.printf(Locale.ROOT, "prefill: %d tokens, %.1f tok/s (best of %d)%n", promptTokens, s.prefill(), runs);
        out.printf(Locale.ROOT, "decode:  %d tokens, %.1f tok/s (best of %d) = %.1f GB/s of weights%n", decodeTokens,
                s.decode(), runs, s.weightRead() / 1e9);
        if (device == Device.CPU) {
            out.printf(Locale.ROOT, "memory-read bandwidth (same run, %d MiB, best pass): %.1f GB/s; decode reaches %.0f%%%n",
                    readBufferMib, s.memoryRead() / 1e9, 100 * s.weightRead() / s.memoryRead());
        }
        if (Double.isFinite(s.decodePerCpuSecond())) {
            out.printf(Locale.ROOT, "per CPU-second of this process (all threads): prefill %.1f tok, decode %.2f tok%n",
                    s.prefillPerCpuSecond(), s.decodePerCpuSecond());
        }
        if (loadAverage() >= 0) {
            out.printf(Locale.ROOT, "load average at the end: %.2f on %d processors%n", loadAverage(),
                    Runtime.getRuntime().availableProcessors());
        }
        out.flush();
    }

    private static Double finiteOrNull(double value) {
        return Double.isFinite(value) ? value : null;
    }

    /** The one-minute system load average (-1 where the OS does not say): other work skews every figure. */
    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private ParameterException invalid(String option, String reason) {
        return new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + reason);
    }
}
