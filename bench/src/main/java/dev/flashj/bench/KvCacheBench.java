package dev.flashj.bench;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.Ops;
import dev.flashj.format.gguf.GgufArray;
import dev.flashj.format.gguf.GgufValueType;
import dev.flashj.format.gguf.GgufWriter;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.kv.KvBudget;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelLoader;
import dev.flashj.model.cpu.CpuLlamaModel;
import dev.flashj.model.cpu.CpuLlamaSession;
import dev.flashj.tensor.TensorType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
        String a = "llama";
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", a)
                .putString("general.name", "flashj kv benchmark (random weights)")
                .putUInt32(a + ".embedding_length", DIM)
                .putUInt32(a + ".block_count", LAYERS)
                .putUInt32(a + ".feed_forward_length", HIDDEN)
                .putUInt32(a + ".attention.head_count", HEADS)
                .putUInt32(a + ".attention.head_count_kv", KV_HEADS)
                .putUInt32(a + ".context_length", context)
                .putFloat32(a + ".attention.layer_norm_rms_epsilon", 1e-5f)
                .putFloat32(a + ".rope.freq_base", 10000f)
                .putString("tokenizer.ggml.model", "llama");
        String[] tokens = new String[VOCAB];
        float[] scores = new float[VOCAB];
        long[] types = new long[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            tokens[i] = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : "▁t" + i;
            scores[i] = -i;
            types[i] = i < 3 ? (i == 0 ? 2 : 3) : 1;
        }
        w.putArray("tokenizer.ggml.tokens", new GgufArray(GgufValueType.STRING, tokens))
                .putArray("tokenizer.ggml.scores", new GgufArray(GgufValueType.FLOAT32, scores))
                .putArray("tokenizer.ggml.token_type", new GgufArray(GgufValueType.INT32, types))
                .putUInt32("tokenizer.ggml.bos_token_id", 1)
                .putUInt32("tokenizer.ggml.eos_token_id", 2)
                .putUInt32("tokenizer.ggml.unknown_token_id", 0);
        Random rnd = new Random(42);
        add(w, rnd, LlamaTensorNames.TOKEN_EMBEDDING, 1.0, 0, VOCAB, DIM);
        add(w, rnd, LlamaTensorNames.OUTPUT_NORM, 0.1, 1, DIM);
        add(w, rnd, LlamaTensorNames.OUTPUT, 1 / Math.sqrt(DIM), 0, VOCAB, DIM);
        for (int l = 0; l < LAYERS; l++) {
            add(w, rnd, LlamaTensorNames.attentionNorm(l), 0.1, 1, DIM);
            add(w, rnd, LlamaTensorNames.query(l), 2 / Math.sqrt(DIM), 0, DIM, DIM);
            add(w, rnd, LlamaTensorNames.key(l), 2 / Math.sqrt(DIM), 0, KV_HEADS * HEAD_DIM, DIM);
            add(w, rnd, LlamaTensorNames.value(l), 1 / Math.sqrt(DIM), 0, KV_HEADS * HEAD_DIM, DIM);
            add(w, rnd, LlamaTensorNames.attentionOutput(l), 1 / Math.sqrt(DIM), 0, DIM, DIM);
            add(w, rnd, LlamaTensorNames.ffnNorm(l), 0.1, 1, DIM);
            add(w, rnd, LlamaTensorNames.ffnGate(l), 1 / Math.sqrt(DIM), 0, HIDDEN, DIM);
            add(w, rnd, LlamaTensorNames.ffnUp(l), 1 / Math.sqrt(DIM), 0, HIDDEN, DIM);
            add(w, rnd, LlamaTensorNames.ffnDown(l), 1 / Math.sqrt(HIDDEN), 0, DIM, HIDDEN);
        }
        w.write(path);
    }

    private static void add(GgufWriter w, Random rnd, String name, double scale, double mean, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate((int) n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat((float) (mean + scale * rnd.nextGaussian()));
        }
        w.addTensor(name, TensorType.F32, shape, b.array());
    }
}
