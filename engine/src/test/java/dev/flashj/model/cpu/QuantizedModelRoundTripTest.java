package dev.flashj.model.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.TestData;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.model.ModelLoader;
import dev.flashj.quant.GgufConverter;
import dev.flashj.quant.QuantType;
import dev.flashj.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code flashj quantize}'s converter end to end: the tiny Hugging Face model and llama2.c's
 * stories260K converted to GGUF at every type, loaded back and run against the unconverted model.
 * F32 must reproduce it (Q/K rows re-interleaved, tokenizer carried over). Q8_0 and FP8 must give
 * the same greedy ids for 24 tokens, or up to the first step where the unconverted model's top two
 * logits are within {@link #NEAR_TIE} of each other (the tiny HF model has such near-ties early; any
 * rounding may flip them). Every type must keep the logits' cosine similarity at or above a per-type
 * floor set a little under the measured value; measured values are printed and recorded in
 * docs/quantization.md.
 */
class QuantizedModelRoundTripTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SAME_GREEDY_TOKENS = 24;
    private static final double NEAR_TIE = 0.5;
    private static CpuThreads threads;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startThreads() {
        threads = new CpuThreads(CpuThreads.defaultThreads());
    }

    @AfterAll
    static void stopThreads() {
        threads.close();
    }

    private record Prompt(String text, int[] ids) {
    }

    private static List<Prompt> hfPrompts() throws IOException {
        JsonNode refs = JSON.readTree(TestData.require("hf-tiny-llama2-spm/reference.json").toFile()).get("references");
        Prompt[] prompts = new Prompt[refs.size()];
        for (int r = 0; r < prompts.length; r++) {
            JsonNode ids = refs.get(r).get("prompt_ids");
            int[] p = new int[ids.size()];
            for (int i = 0; i < p.length; i++) {
                p[i] = ids.get(i).asInt();
            }
            prompts[r] = new Prompt(refs.get(r).get("prompt").asText(), p);
        }
        return List.of(prompts);
    }

    @ParameterizedTest
    @EnumSource(value = QuantType.class, names = "F16", mode = EnumSource.Mode.EXCLUDE)
    void hfTinyLlamaSurvivesConversion(QuantType type) throws IOException {
        Path source = TestData.require("hf-tiny-llama2-spm");
        check(type, source, Optional.empty(), hfPrompts(), "hf-tiny");
    }

    @ParameterizedTest
    @EnumSource(value = QuantType.class, names = "F16", mode = EnumSource.Mode.EXCLUDE)
    void stories260KSurvivesConversion(QuantType type) throws IOException {
        Path source = TestData.require("stories260K.bin");
        Optional<Path> tokenizer = Optional.of(TestData.require("tok512.bin"));
        List<Prompt> prompts = List.of(new Prompt("", new int[]{1}), new Prompt("Once upon a time", null));
        check(type, source, tokenizer, prompts, "stories260K");
    }

    /** Calibration text for smoothing: technical prose like the HF model's training data, not a test prompt. */
    private static final String CALIBRATION = "The model is trained on a large corpus of text with a transformer"
            + " architecture. Attention layers compute weighted sums of value vectors, and the feed-forward network"
            + " applies a gated linear unit. We evaluate the method on standard benchmarks and report the results"
            + " in the table below, together with the memory and the time per token.";

    @ParameterizedTest
    @EnumSource(value = QuantType.class, names = {"INT4_G128", "INT4_G32"})
    void hfTinyInt4WithCalibration(QuantType type) throws IOException {
        check(type, TestData.require("hf-tiny-llama2-spm"), Optional.empty(), hfPrompts(), "hf-tiny-calibrated",
                Optional.of(CALIBRATION));
    }

    private static void check(QuantType type, Path source, Optional<Path> tokenizer, List<Prompt> prompts, String label) {
        check(type, source, tokenizer, prompts, label, Optional.empty());
    }

    /** What the unconverted model gives for one prompt: computed once per source and reused by every type. */
    private record Reference(int[] ids, int[] encodedText, float[] logits, int[] greedy, float[] margins) {
    }

    private static final Map<Path, List<Reference>> REFERENCES = new ConcurrentHashMap<>();

    private static List<Reference> references(Path source, Optional<Path> tokenizer, List<Prompt> prompts) {
        return REFERENCES.computeIfAbsent(source, s -> {
            List<Reference> out = new ArrayList<>();
            try (CpuLlamaModel original = CpuLlamaModel.load(ModelLoader.open(source, tokenizer), threads)) {
                Tokenizer before = original.tokenizer();
                for (Prompt p : prompts) {
                    int[] ids = p.ids() != null ? p.ids() : before.encode(p.text(), true, false);
                    int[] encoded = p.text().isEmpty() ? null : before.encode(p.text(), true, false);
                    float[] margins = new float[SAME_GREEDY_TOKENS + 16];
                    int[] greedy = greedy(original, ids, margins);
                    out.add(new Reference(ids, encoded, logits(original, ids), greedy, margins));
                }
            }
            return out;
        });
    }

    private static void check(QuantType type, Path source, Optional<Path> tokenizer, List<Prompt> prompts, String label,
                              Optional<String> calibration) {
        List<Reference> references = references(source, tokenizer, prompts);
        Path out = dir.resolve(label + "-" + type.cliName() + ".gguf");
        try (var in = ModelLoader.open(source, tokenizer)) {
            GgufConverter.convert(in, type, calibration, out, (done, total, name) -> { });
        }
        assertTrue(Files.exists(out));
        try (CpuLlamaModel converted = CpuLlamaModel.load(ModelLoader.open(out, Optional.empty()), threads)) {
            Tokenizer after = converted.tokenizer();
            double worstCosine = 1;
            int shortestSameRun = Integer.MAX_VALUE;
            int shortestRequired = SAME_GREEDY_TOKENS;
            for (int i = 0; i < prompts.size(); i++) {
                Prompt p = prompts.get(i);
                Reference ref = references.get(i);
                if (ref.encodedText() != null) {
                    assertArrayEquals(ref.encodedText(), after.encode(p.text(), true, false),
                            label + " " + type + ": tokenizer after conversion, prompt \"" + p.text() + "\"");
                }
                worstCosine = Math.min(worstCosine, cosine(ref.logits(), logits(converted, ref.ids())));
                int[] expected = ref.greedy();
                int[] got = greedy(converted, ref.ids(), new float[expected.length]);
                int nearTie = 0;
                while (nearTie < ref.margins().length && ref.margins()[nearTie] >= NEAR_TIE) {
                    nearTie++;
                }
                int required = Math.min(SAME_GREEDY_TOKENS, nearTie);
                int same = 0;
                while (same < expected.length && expected[same] == got[same]) {
                    same++;
                }
                shortestSameRun = Math.min(shortestSameRun, same);
                if (type == QuantType.Q8_0 || type == QuantType.FP8) {
                    assertTrue(same >= required, label + " " + type + " prompt " + Arrays.toString(ref.ids())
                            + ": greedy ids diverge after " + same + " tokens, before the first near-tie at " + nearTie);
                }
                shortestRequired = Math.min(shortestRequired, required);
                if (type == QuantType.F32) {
                    assertArrayEquals(expected, got, label + " F32 greedy ids");
                }
            }
            System.out.printf("quantize %s %s: worst logits cosine %.5f, greedy ids equal for >= %d of %d tokens"
                            + " (first F32 near-tie after >= %d)%n",
                    label, type.cliName(), worstCosine, shortestSameRun, SAME_GREEDY_TOKENS + 16, shortestRequired);
            assertTrue(worstCosine >= cosineFloor(label, type), label + " " + type + ": cosine " + worstCosine);
        }
    }

    /**
     * Floors a little under what was measured (docs/quantization.md). The INT4 target of 0.99
     * holds on stories260K; the 80-second HF model, whose weights have strong outliers, stays under it
     * at 4 bits with every method tried here, llama.cpp's own Q4_0 (byte-identical) included.
     */
    private static double cosineFloor(String label, QuantType type) {
        boolean hf = label.startsWith("hf");
        if (label.contains("calibrated")) {
            // smoothing (alpha 0.5) measured 0.951 (G128) and 0.971 (G32): no gain on this model
            return type == QuantType.INT4_G128 ? 0.945 : 0.965;
        }
        return switch (type) {
            case F32 -> 0.999999;
            case F16, Q8_0 -> 0.9995;
            case FP8 -> hf ? 0.995 : 0.999;
            case Q4_K -> hf ? 0.985 : 0.995;
            case Q4_0 -> hf ? 0.94 : 0.99;
            case INT4_G128 -> hf ? 0.955 : 0.99;
            case INT4_G32 -> hf ? 0.97 : 0.99;
        };
    }

    /** Logits of every prompt position, concatenated. */
    private static float[] logits(CpuLlamaModel m, int[] prompt) {
        int vocab = m.config().vocabSize();
        float[] logits = new float[prompt.length * vocab];
        try (CpuLlamaSession s = m.newSession(prompt.length)) {
            s.feedAll(prompt, 0, prompt.length, logits, 0);
        }
        return logits;
    }

    /** Greedy ids; {@code margins[step]} = top-1 minus top-2 logit at that step. */
    private static int[] greedy(CpuLlamaModel m, int[] prompt, float[] margins) {
        int steps = margins.length;
        try (CpuLlamaSession s = m.newSession(prompt.length + steps)) {
            return Greedy.run(s, prompt, steps, (step, logits) -> {
                float first = Float.NEGATIVE_INFINITY;
                float second = Float.NEGATIVE_INFINITY;
                for (float v : logits) {
                    if (v > first) {
                        second = first;
                        first = v;
                    } else if (v > second) {
                        second = v;
                    }
                }
                margins[step] = first - second;
            });
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
