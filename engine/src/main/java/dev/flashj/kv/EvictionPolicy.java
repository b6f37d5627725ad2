package dev.flashj.kv;

import dev.flashj.FlashjException;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Which KV entries a sequence keeps once it holds more than its budget. Applied after a prefill and
 * again whenever decoding pushes a sequence past its budget (then evicting one block's worth below
 * it, so that the cost is paid once per block, not once per token). With a budget at least the
 * sequence's length nothing is evicted and the output is exactly that of {@link None}.
 */
public sealed interface EvictionPolicy {
    /** StreamingLLM's attention sinks kept by the CLI's {@code window} and {@code prefixkv} policies. */
    int DEFAULT_SINKS = 4;
    /** SnapKV's observation window. */
    int DEFAULT_OBSERVATION_WINDOW = 32;
    /** SnapKV's pooling kernel. */
    int DEFAULT_KERNEL = 5;

    /** Keep everything. */
    record None() implements EvictionPolicy {
    }

    /** StreamingLLM: the first {@code sinks} entries and the last {@code recent}. */
    record Window(int sinks, int recent) implements EvictionPolicy {
        public Window {
            if (sinks < 0 || recent < 1) {
                throw new FlashjException("kv policy window: sinks (" + sinks + ") must be >= 0 and recent (" + recent
                        + ") >= 1");
            }
        }

        public int budget() {
            return sinks + recent;
        }
    }

    /** How SnapKV smooths scores along the sequence. */
    enum Pooling {
        MAX, AVG
    }

    /**
     * SnapKV: per layer and KV head, the {@code budget - window} prefix entries most attended by the last
     * {@code window} queries (scores pooled with {@code kernel}), plus the window itself.
     */
    record SnapKv(int budget, int window, int kernel, Pooling pooling) implements EvictionPolicy {
        public SnapKv {
            if (window < 1 || budget < window || kernel < 1 || kernel % 2 == 0 || pooling == null) {
                throw new FlashjException("kv policy snapkv: need window >= 1 (got " + window + "), budget >= window (got "
                        + budget + ") and an odd kernel (got " + kernel + ")");
            }
        }

        public SnapKv(int budget) {
            this(budget, Math.min(DEFAULT_OBSERVATION_WINDOW, budget), DEFAULT_KERNEL, Pooling.MAX);
        }
    }

    /**
     * PrefixKV: a global budget of {@code budget * numLayers} entries shared out between layers by their
     * importance profiles (one cumulative-priority threshold for all layers), each layer also keeping
     * {@code sinks} first and {@code recent} last entries; the last {@code recent} queries score the
     * rest. The profiles come from the prompt itself or from a saved {@link PrefixKvProfile} file.
     */
    record PrefixKv(int budget, int sinks, int recent, Optional<Path> profile) implements EvictionPolicy {
        public PrefixKv {
            if (sinks < 0 || recent < 1 || budget < sinks + recent || profile == null) {
                throw new FlashjException("kv policy prefixkv: need sinks >= 0 (got " + sinks + "), recent >= 1 (got "
                        + recent + ") and budget >= sinks + recent (got " + budget + ")");
            }
        }
    }

    /** The policy the CLI's {@code --kv-policy NAME --kv-budget N [--kv-window W]} describe. */
    static EvictionPolicy parse(String name, Integer budget, Integer window) {
        String n = name == null ? "none" : name.trim().toLowerCase(java.util.Locale.ROOT);
        if (n.equals("none")) {
            return new None();
        }
        if (budget == null) {
            throw new FlashjException("--kv-policy " + n + " needs --kv-budget N");
        }
        return switch (n) {
            case "window" -> {
                int recent = window != null ? window : Math.max(1, budget - DEFAULT_SINKS);
                yield new Window(Math.max(0, budget - recent), recent);
            }
            case "snapkv" -> new SnapKv(budget, window != null ? window : Math.min(DEFAULT_OBSERVATION_WINDOW, budget),
                    DEFAULT_KERNEL, Pooling.MAX);
            case "prefixkv" -> {
                int recent = window != null ? window : Math.min(DEFAULT_OBSERVATION_WINDOW, Math.max(1, budget / 2));
                yield new PrefixKv(budget, Math.min(DEFAULT_SINKS, budget - recent), recent, Optional.empty());
            }
            default -> throw new FlashjException("--kv-policy: unknown policy '" + name
                    + "' (expected none, window, snapkv or prefixkv)");
        };
    }

    /** Whether the policy scores entries with the attention of recent queries (and how many it needs). */
    default int observationWindow() {
        return switch (this) {
            case SnapKv s -> s.window();
            case PrefixKv p -> p.recent();
            default -> 0;
        };
    }
}
