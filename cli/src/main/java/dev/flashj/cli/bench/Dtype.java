package dev.flashj.cli.bench;

import dev.flashj.tensor.TensorType;

import java.util.Locale;

/** The element type of an op's main operand (the weights of a matmul; activations stay float32). */
public enum Dtype {
    F32(TensorType.F32),
    F16(TensorType.F16),
    BF16(TensorType.BF16),
    Q8_0(TensorType.Q8_0),
    Q4_0(TensorType.Q4_0),
    Q4_K(TensorType.Q4_K),
    Q6_K(TensorType.Q6_K);

    private final TensorType tensorType;

    Dtype(TensorType tensorType) {
        this.tensorType = tensorType;
    }

    public TensorType tensorType() {
        return tensorType;
    }

    /** The command-line name: f32, q8_0. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a command-line name (any case), or throws a usage error naming --dtype. */
    public static Dtype parse(String name) {
        for (Dtype d : values()) {
            if (d.cliName().equalsIgnoreCase(name.trim())) {
                return d;
            }
        }
        throw new BenchUsageException("--dtype", "unknown dtype '" + name + "' (expected one of f32, f16, bf16, q8_0, q4_0, q4_k, q6_k)");
    }
}
