package dev.flashj.bench;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.Ops;
import dev.flashj.format.gguf.GgufWriter;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.kv.KvBudget;
import dev.flashj.model.ModelLoader;
import dev.flashj.model.cpu.CpuLlamaModel;
import dev.flashj.model.cpu.CpuLlamaSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

/**
 * KV bytes and decode speed of the eviction policies on a long synthetic prompt, on the CPU, with a
 * random-weights LLaMA-shaped model written with {@link GgufWriter} (the source of
 * docs/perf/kv-cache.md).
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx3g \
 *      -cp engine/target/classes:bench/target/classes dev.flashj.bench.KvCacheBench [promptTokens] [decodeTokens] [threads]
 * </pre>
 * The prompt is prefilled once without eviction and published to the block pool; every policy run
 * then attaches that shared prefix and computes only the tail its observation window needs (the
 * policy's eviction sees the same prompt), so the prefill cost is paid once.
 */
public final class KvCacheBench {
    static final int DIM = 256;
    static final int HIDDEN = 768;
    static final int LAYERS = 4;
    static final int HEADS = 8;
    static final int KV_HEADS = 2;
    static final int HEAD_DIM = DIM / HEADS;
    static final int VOCAB = 1024;

    private KvCacheBench() {
    }

    public static void main(String[] args) throws IOException {
        int promptTokens = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
        int decodeTokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int threadCount = args.length > 2 ? Integer.parseInt(args[2]) : CpuThreads.defaultThreads();
        Path file = Files.createTempFile("flashj-kvbench", ".gguf");
        try (CpuThreads threads = new CpuThreads(threadCount)) {
            writeModel(file, promptTokens + decodeTokens + 64);
            try (CpuLlamaModel model = CpuLlamaModel.load(ModelLoader.open(file, Optional.empty()), threads,
                    KvBudget.bytes(1L << 30), 16)) {
                int[] prompt = new Random(7).ints(promptTokens, 3, VOCAB).toArray();
                int capacity = promptTokens + decodeTokens + 1;
                System.out.printf(Locale.ROOT, "model: dim %d, %d layers, %d heads (%d KV) of %d, ffn %d, vocab %d, F32;"
                                + " prompt %d tokens, %d decoded; %s%n", DIM, LAYERS, HEADS, KV_HEADS, HEAD_DIM, HIDDEN,
                        VOCAB, promptTokens, decodeTokens, model.deviceDescription());
                long t0 = System.nanoTime();
                try (CpuLlamaSession warm = model.newSession(capacity)) {
                    warm.feed(prompt, 0, prompt.length);
                }
                System.out.printf(Locale.ROOT, "prefill (once, no eviction): %.1f s%n", (System.nanoTime() - t0) / 1e9);
                List<EvictionPolicy> runs = new ArrayList<>();
                runs.add(new EvictionPolicy.None());
                for (int budget : new int[]{512, 1024, 2048}) {
                    runs.add(new EvictionPolicy.SnapKv(budget));
                    runs.add(new EvictionPolicy.PrefixKv(budget, EvictionPolicy.DEFAULT_SINKS, 32, Optional.empty()));
                    runs.add(new EvictionPolicy.Window(EvictionPolicy.DEFAULT_SINKS, budget - EvictionPolicy.DEFAULT_SINKS));
                }
                System.out.println("| policy | budget | KV entries per layer after prefill | KV MiB after prefill | KV MiB after decode | decode tokens/s |");
                System.out.println("|---|---|---|---|---|---|");
                for (EvictionPolicy policy : runs) {
                    run(model, policy, prompt, capacity, decodeTokens);
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void run(CpuLlamaModel model, EvictionPolicy policy, int[] prompt, int capacity, int decodeTokens) {
        try (CpuLlamaSession s = model.newSession(capacity, policy)) {
            float[] logits = s.feed(prompt, 0, prompt.length);
            long afterPrefill = s.kvBytes();
            StringBuilder entries = new StringBuilder();
            for (int l = 0; l < LAYERS; l++) {
                entries.append(l == 0 ? "" : "/").append(s.kvEntries(l));
            }
            int[] one = new int[1];
            // Two warm-up steps, then the timed ones.
            for (int i = 0; i < 2; i++) {
                one[0] = Ops.argmax(logits, 0, logits.length);
                logits = s.feed(one, 0, 1);
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < decodeTokens - 2; i++) {
                one[0] = Ops.argmax(logits, 0, logits.length);
                logits = s.feed(one, 0, 1);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            String name = switch (policy) {
                case EvictionPolicy.None n -> "none";
                case EvictionPolicy.SnapKv k -> "snapkv (w 32, max pool 5)";
                case EvictionPolicy.PrefixKv p -> "prefixkv (4 sinks, 32 recent)";
                case EvictionPolicy.Window w -> "window (4 sinks)";
            };
            String budget = switch (policy) {
                case EvictionPolicy.None n -> "-";
                case EvictionPolicy.SnapKv k -> String.valueOf(k.budget());
                case EvictionPolicy.PrefixKv p -> String.valueOf(p.budget());
                case EvictionPolicy.Window w -> String.valueOf(w.budget());
            };
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %.2f | %.2f | %.1f |%n", name, budget, entries,
                    afterPrefill / 1048576.0, s.kvBytes() / 1048576.0, (decodeTokens - 2) / seconds);
        }
    }

    static void writeModel(Path path, int context) {
        RandomLlamaFile.write(path, new RandomLlamaFile.Shape(DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB), context,
                "flashj kv benchmark (random weights)");
    }
}
