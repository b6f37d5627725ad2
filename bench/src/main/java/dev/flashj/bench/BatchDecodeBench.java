package dev.flashj.bench;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.Ops;
import dev.flashj.kv.KvBudget;
import dev.flashj.model.BatchDecoder;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.ModelSession;
import dev.flashj.opencl.OpenClDeviceSelector;
import dev.flashj.opencl.model.OpenClLlamaModel;
import dev.flashj.model.ModelLoader;
import dev.flashj.model.cpu.CpuLlamaModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

/**
 * Aggregate decode speed against batch size on the CPU (the "Batched decode" section of
 * docs/perf/kv-cache.md): B sequences with distinct prompts decode together through {@link
 * BatchDecoder} (each weight row read once per step for the whole batch), against the same B
 * sequences decoded one at a time with {@code feed} — the reference, measured in the same round.
 * Rounds interleave the two so that load from other processes hits both alike; the best round is kept.
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx2g \
 *      -cp engine/target/classes:kernels-opencl/target/classes:bench/target/classes \
 *      dev.flashj.bench.BatchDecodeBench [steps] [rounds] [threads] [batches] [device] [model.gguf]
 * </pre>
 * {@code batches} is a comma-separated list of batch sizes (default 1,2,4,8,16); {@code device} is
 * {@code cpu} (default) or {@code opencl[:P:D]} (the OpenCL model's batch decoder against its lone decode).
 * {@code model.gguf}, when given, replaces the random F32 model: e.g. a quantized synthetic model that
 * {@code flashj bench generate} left in its cache, to measure the repacked integer kernels.
 */
public final class BatchDecodeBench {
    private static final RandomLlamaFile.Shape SHAPE = new RandomLlamaFile.Shape(1024, 2816, 4, 16, 4, 4096);
    private static final int[] BATCH_SIZES = {1, 2, 4, 8, 16};
    private static final int PROMPT_TOKENS = 48;
    private static final int WARMUP_STEPS = 2;

    private BatchDecodeBench() {
    }

    public static void main(String[] args) throws IOException {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int threadCount = args.length > 2 ? Integer.parseInt(args[2]) : CpuThreads.defaultThreads();
        int[] batchSizes = args.length > 3
                ? java.util.Arrays.stream(args[3].split(",")).mapToInt(b -> Integer.parseInt(b.trim())).toArray()
                : BATCH_SIZES;
        String device = args.length > 4 ? args[4] : "cpu";
        Optional<Path> given = args.length > 5 ? Optional.of(Path.of(args[5])) : Optional.empty();
        if (given.isPresent() && !Files.isRegularFile(given.get())) {
            throw new IllegalArgumentException("model " + given.get() + ": no such file");
        }
        int capacity = PROMPT_TOKENS + WARMUP_STEPS + (steps * 2 + 4) * rounds;
        Path file = given.orElse(Files.createTempFile("flashj-batchbench", ".gguf"));
        try (CpuThreads threads = new CpuThreads(threadCount)) {
            if (given.isEmpty()) {
                RandomLlamaFile.write(file, SHAPE, capacity + 16, "flashj batch benchmark (random weights)");
            }
            try (LanguageModel model = device.equals("cpu")
                    ? CpuLlamaModel.load(ModelLoader.open(file, Optional.empty()), threads, KvBudget.bytes(1L << 30), 16)
                    : OpenClLlamaModel.load(ModelLoader.open(file, Optional.empty()), OpenClDeviceSelector.parse(device),
                            KvBudget.bytes(1L << 30), 16)) {
                String weights = given.map(p -> p.getFileName().toString()).orElse(String.format(Locale.ROOT,
                        "dim %d, %d layers, %d heads (%d KV), ffn %d, vocab %d, F32, %.0f MiB of weights", SHAPE.dim(),
                        SHAPE.layers(), SHAPE.heads(), SHAPE.kvHeads(), SHAPE.hidden(), SHAPE.vocab(),
                        SHAPE.weightBytes() / 1048576.0));
                System.out.printf(Locale.ROOT, "model: %s; prompts of %d tokens, %d timed steps, best of %d rounds; %s%n",
                        weights, PROMPT_TOKENS, steps, rounds, model.deviceDescription());
                // Warm the JIT on both paths before the first row is measured.
                measure(model, 4, steps, 1, capacity, false);
                System.out.println("| batch | batched: tokens/s | one at a time: tokens/s | speed-up | ms per batched step |");
                System.out.println("|---|---|---|---|---|");
                for (int batch : batchSizes) {
                    measure(model, batch, steps, rounds, capacity, true);
                }
            }
        } finally {
            if (given.isEmpty()) {
                Files.deleteIfExists(file);
            }
        }
    }

    private static void measure(LanguageModel model, int batch, int steps, int rounds, int capacity, boolean print) {
        BatchDecoder decoder = model.newBatchDecoder(batch).orElseThrow();
        List<ModelSession> sessions = new ArrayList<>();
        int vocab = model.config().vocabSize();
        float[][] logits = new float[batch][vocab];
        int[] next = new int[batch];
        try {
            for (int s = 0; s < batch; s++) {
                ModelSession session = model.newSession(capacity);
                sessions.add(session);
                int[] prompt = new Random(1000 + s).ints(PROMPT_TOKENS, 3, vocab).toArray();
                float[] l = session.feed(prompt, 0, prompt.length);
                next[s] = Ops.argmax(l, 0, vocab);
            }
            for (int i = 0; i < WARMUP_STEPS; i++) {
                batchedStep(decoder, sessions, next, logits);
            }
            double bestBatched = 0;
            double bestAlone = 0;
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    batchedStep(decoder, sessions, next, logits);
                }
                bestBatched = Math.max(bestBatched, (double) batch * steps / ((System.nanoTime() - t0) / 1e9));
                int[] one = new int[1];
                t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    for (int s = 0; s < batch; s++) {
                        one[0] = next[s];
                        float[] l = sessions.get(s).feed(one, 0, 1);
                        next[s] = Ops.argmax(l, 0, vocab);
                    }
                }
                bestAlone = Math.max(bestAlone, (double) batch * steps / ((System.nanoTime() - t0) / 1e9));
            }
            if (print) {
                System.out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %.2fx | %.1f |%n", batch, bestBatched, bestAlone,
                        bestBatched / bestAlone, 1000.0 * batch / bestBatched);
            }
        } finally {
            sessions.forEach(ModelSession::close);
        }
    }

    private static void batchedStep(BatchDecoder decoder, List<ModelSession> sessions, int[] next, float[][] logits) {
        for (ModelSession s : sessions) {
            if (!decoder.reserve(s, 1).granted()) {
                throw new IllegalStateException("the benchmark's 1 GiB KV budget is full");
            }
        }
        decoder.decode(sessions, next, logits);
        for (int s = 0; s < sessions.size(); s++) {
            next[s] = Ops.argmax(logits[s], 0, logits[s].length);
        }
    }
}
