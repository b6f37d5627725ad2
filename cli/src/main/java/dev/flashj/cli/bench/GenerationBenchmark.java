package dev.flashj.cli.bench;

import dev.flashj.FlashjException;
import dev.flashj.cpu.MemoryReadBandwidth;
import dev.flashj.cpu.Ops;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.ModelSession;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Times prefill (the prompt as one batch) and greedy decode (one token per step) on a loaded
 * model, run after run, with read-bandwidth passes before and after each run when a reference is
 * given. Each run gets its own random prompt, so no run reuses a previous run's KV prefix.
 */
final class GenerationBenchmark {
    private final LanguageModel model;
    private final Optional<MemoryReadBandwidth> reference;
    private final ProgressLine progress;
    private final long seed;

    /**
     * One timed run: wall seconds, and CPU seconds of the whole process (all threads; NaN where the
     * JVM cannot say). {@code readBytesPerSecond} is NaN without a reference.
     */
    record Run(int promptTokens, double prefillSeconds, double prefillCpuSeconds, int decodeTokens, double decodeSeconds,
               double decodeCpuSeconds, double readBytesPerSecond) {
        double prefillTokensPerSecond() {
            return promptTokens / prefillSeconds;
        }

        double decodeTokensPerSecond() {
            return decodeTokens / decodeSeconds;
        }

        /** Tokens per CPU-second: on a machine shared with other work, what the threads did while they ran. */
        double prefillTokensPerCpuSecond() {
            return promptTokens / prefillCpuSeconds;
        }

        double decodeTokensPerCpuSecond() {
            return decodeTokens / decodeCpuSeconds;
        }
    }

    GenerationBenchmark(LanguageModel model, Optional<MemoryReadBandwidth> reference, ProgressLine progress, long seed) {
        this.model = model;
        this.reference = reference;
        this.progress = progress;
        this.seed = seed;
    }

    /** A short untimed run (to compile the hot paths), then {@code runs} timed ones. */
    List<Run> measure(int promptTokens, int decodeTokens, int runs) {
        run("warm-up", Math.min(promptTokens, 16), Math.min(decodeTokens, 4), -1);
        List<Run> results = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            results.add(run("run " + (r + 1) + "/" + runs, promptTokens, decodeTokens, r));
        }
        progress.clear();
        return results;
    }

    private Run run(String label, int promptTokens, int decodeTokens, int index) {
        double read = readBandwidth(label);
        int[] prompt = randomPrompt(promptTokens, index);
        try (ModelSession session = model.newSession(promptTokens + decodeTokens)) {
            progress.show(String.format(Locale.ROOT, "%s: prefill %d tokens...", label, promptTokens));
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            float[] logits = session.feed(prompt, 0, promptTokens);
            long t1 = System.nanoTime();
            long cpu1 = processCpuNanos();
            requireFinite(logits, label + " prefill");
            int[] next = new int[1];
            long decodeCpuStart = processCpuNanos();
            long decodeStart = System.nanoTime();
            for (int i = 0; i < decodeTokens; i++) {
                progress.update(String.format(Locale.ROOT, "%s: prefill %.1f tok/s, decode %d/%d", label,
                        promptTokens / ((t1 - t0) / 1e9), i, decodeTokens));
                next[0] = Ops.argmax(logits, 0, logits.length);
                logits = session.feed(next, 0, 1);
            }
            long decodeEnd = System.nanoTime();
            long decodeCpuEnd = processCpuNanos();
            requireFinite(logits, label + " decode");
            read = Math.max(read, readBandwidth(label));
            return new Run(promptTokens, (t1 - t0) / 1e9, cpuSeconds(cpu0, cpu1), decodeTokens,
                    (decodeEnd - decodeStart) / 1e9, cpuSeconds(decodeCpuStart, decodeCpuEnd), read);
        }
    }

    /** CPU time of every thread of this process (-1 where unsupported). */
    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    private static double cpuSeconds(long from, long to) {
        return from < 0 || to <= from ? Double.NaN : (to - from) / 1e9;
    }

    private double readBandwidth(String label) {
        if (reference.isEmpty()) {
            return Double.NaN;
        }
        progress.show(label + ": memory-read bandwidth...");
        return reference.get().measure(2);
    }

    /** Ids drawn past the three special tokens (when the vocabulary has more than them). */
    private int[] randomPrompt(int count, int index) {
        int vocab = model.config().vocabSize();
        int first = vocab > 3 ? 3 : 0;
        SplittableRandom random = new SplittableRandom(seed * 31 + index);
        int[] ids = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = random.nextInt(first, vocab);
        }
        return ids;
    }

    private static void requireFinite(float[] logits, String phase) {
        for (float v : logits) {
            if (!Float.isFinite(v)) {
                throw new FlashjException("the model produced a non-finite logit (" + v + ") in the " + phase);
            }
        }
    }
}
