package dev.flashj.synthetic;

import dev.flashj.FlashjException;
import dev.flashj.tensor.TensorType;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The weight types a synthetic model can be written in: the matrices' type (norms stay F32). */
public enum SyntheticWeightType {
    F32(TensorType.F32),
    F16(TensorType.F16),
    Q8_0(TensorType.Q8_0),
    Q4_0(TensorType.Q4_0);

    private final TensorType tensorType;

    SyntheticWeightType(TensorType tensorType) {
        this.tensorType = tensorType;
    }

    public TensorType tensorType() {
        return tensorType;
    }

    /** "q8_0", as written on the command line and in cache file names. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The lower-case names, for messages. */
    public static List<String> cliNames() {
        return Arrays.stream(values()).map(SyntheticWeightType::cliName).toList();
    }

    /** Parses "f32", "f16", "q8_0" or "q4_0" (any case); anything else is a {@link FlashjException} listing them. */
    public static SyntheticWeightType parse(String name) {
        for (SyntheticWeightType t : values()) {
            if (t.cliName().equalsIgnoreCase(name.trim())) {
                return t;
            }
        }
        throw new FlashjException("unknown weight type '" + name + "' (known: " + String.join(", ", cliNames()) + ")");
    }
}
