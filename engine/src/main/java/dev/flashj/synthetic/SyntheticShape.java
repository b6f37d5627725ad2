package dev.flashj.synthetic;

import dev.flashj.FlashjException;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The sizes of a LLaMA-shaped model, enough to write one with random weights
 * ({@link SyntheticModelWriter}). The named shapes copy published checkpoints' configurations;
 * {@link #withLayers} shrinks one (same per-layer cost, fewer layers) for quick runs.
 *
 * @param name      a short name, part of the cache key
 * @param hidden    embedding width (dim)
 * @param layers    transformer blocks
 * @param heads     query heads
 * @param kvHeads   key/value heads (divides {@code heads})
 * @param ffn       feed-forward width
 * @param vocab     vocabulary size
 * @param headDim   width of one head
 * @param context   context length in tokens
 * @param ropeTheta RoPE base frequency
 */
public record SyntheticShape(String name, int hidden, int layers, int heads, int kvHeads, int ffn, int vocab,
                             int headDim, int context, float ropeTheta) {

    /** llama2.c's stories260K (TinyStories). Its feed-forward width 172 is not a multiple of 32. */
    public static final SyntheticShape STORIES_260K = new SyntheticShape("stories260k", 64, 5, 8, 4, 172, 512, 8, 512, 10000f);
    /** llama2.c's stories110M. */
    public static final SyntheticShape STORIES_110M = new SyntheticShape("stories110m", 768, 12, 12, 12, 2048, 32000, 64, 1024, 10000f);
    /** TinyLlama-1.1B (v1.0 chat). */
    public static final SyntheticShape TINYLLAMA_1_1B = new SyntheticShape("tinyllama-1.1b", 2048, 22, 32, 4, 5632, 32000, 64, 2048, 10000f);
    /** Llama-3.2-1B (written with an untied output matrix: the bytes read per token are the same). */
    public static final SyntheticShape LLAMA_1B = new SyntheticShape("llama-1b", 2048, 16, 32, 8, 8192, 128256, 64, 131072, 500000f);
    /** Llama-3-8B. */
    public static final SyntheticShape LLAMA_8B = new SyntheticShape("llama-8b", 4096, 32, 32, 8, 14336, 128256, 128, 8192, 500000f);

    /** Every named shape, smallest first. */
    public static final List<SyntheticShape> NAMED = List.of(STORIES_260K, STORIES_110M, TINYLLAMA_1_1B, LLAMA_1B, LLAMA_8B);

    public SyntheticShape {
        if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
            throw invalid(name, "name", "must be letters, digits, '.', '_' or '-', got '" + name + "'");
        }
        positive(name, "hidden", hidden);
        positive(name, "layers", layers);
        positive(name, "heads", heads);
        positive(name, "kvHeads", kvHeads);
        positive(name, "ffn", ffn);
        positive(name, "vocab", vocab);
        positive(name, "headDim", headDim);
        positive(name, "context", context);
        if (heads % kvHeads != 0) {
            throw invalid(name, "kvHeads", kvHeads + " key/value heads do not divide " + heads + " heads");
        }
        if (headDim % 2 != 0) {
            throw invalid(name, "headDim", "must be even for RoPE, got " + headDim);
        }
        if (!(ropeTheta > 0) || !Float.isFinite(ropeTheta)) {
            throw invalid(name, "ropeTheta", "must be positive and finite, got " + ropeTheta);
        }
    }

    /** The named shape (case-insensitive), or empty. */
    public static Optional<SyntheticShape> find(String name) {
        return NAMED.stream().filter(s -> s.name.equalsIgnoreCase(name.trim())).findFirst();
    }

    /** The named shape; an unknown name is a {@link FlashjException} listing the known ones. */
    public static SyntheticShape named(String name) {
        return find(name).orElseThrow(() -> new FlashjException("unknown model shape '" + name + "' (known: "
                + String.join(", ", names()) + ")"));
    }

    /** The names of {@link #NAMED}, smallest first. */
    public static List<String> names() {
        return NAMED.stream().map(SyntheticShape::name).toList();
    }

    /** The same shape with {@code count} layers. */
    public SyntheticShape withLayers(int count) {
        if (count < 1) {
            throw invalid(name, "layers", "must be at least 1, got " + count);
        }
        return new SyntheticShape(name, hidden, count, heads, kvHeads, ffn, vocab, headDim, context, ropeTheta);
    }

    /** Elements of all weight matrices and vectors (embedding and output included). */
    public long parameterCount() {
        long q = (long) heads * headDim;
        long kv = (long) kvHeads * headDim;
        long perLayer = 2L * hidden + q * hidden + 2 * kv * hidden + q * hidden + 3L * ffn * hidden;
        return 2L * vocab * hidden + hidden + layers * perLayer;
    }

    /** "tinyllama-1.1b (hidden 2048, 22 layers, ...)" for display. */
    public String describe() {
        return String.format(Locale.ROOT, "%s (hidden %d, %d layers, %d heads / %d KV of %d, ffn %d, vocab %d)",
                name, hidden, layers, heads, kvHeads, headDim, ffn, vocab);
    }

    private static void positive(String name, String field, int value) {
        if (value <= 0) {
            throw invalid(name, field, "must be positive, got " + value);
        }
    }

    private static FlashjException invalid(String name, String field, String reason) {
        return new FlashjException("synthetic shape '" + name + "': " + field + " " + reason);
    }
}
