package dev.flashj.synthetic;

import dev.flashj.FlashjException;
import dev.flashj.quant.QuantType;
import dev.flashj.tensor.TensorType;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The weight types a synthetic model can be written in. F32, F16, Q8_0 and Q4_0 give every matrix
 * (embedding and output head included) that type, F32 where rows are not whole blocks. Q4_K, INT4 and
 * FP8 models get the types {@code flashj quantize --type} gives a real checkpoint ({@link QuantType}):
 * an F16 embedding and head for INT4 and FP8, a Q8_0 head for Q4_K, and the same fallbacks. Norms are
 * always F32.
 */
public enum SyntheticWeightType {
    F32("f32", TensorType.F32, null),
    F16("f16", TensorType.F16, null),
    Q8_0("q8_0", TensorType.Q8_0, null),
    Q4_0("q4_0", TensorType.Q4_0, null),
    Q4_K("q4_k", TensorType.Q4_K, QuantType.Q4_K),
    INT4_G128("int4-g128", TensorType.INT4_G128, QuantType.INT4_G128),
    INT4_G32("int4-g32", TensorType.INT4_G32, QuantType.INT4_G32),
    FP8("fp8", TensorType.FP8_E4M3, QuantType.FP8);

    private final String cliName;
    private final TensorType tensorType;
    /** The recipe of {@code flashj quantize}, or null for "every matrix in {@link #tensorType}". */
    private final QuantType recipe;

    SyntheticWeightType(String cliName, TensorType tensorType, QuantType recipe) {
        this.cliName = cliName;
        this.tensorType = tensorType;
        this.recipe = recipe;
    }

    /** The type of the layer matrices whose rows are whole blocks of it. */
    public TensorType tensorType() {
        return tensorType;
    }

    /** The type the matrix {@code name} with rows of {@code cols} elements is stored in. */
    public TensorType matrixType(String name, long cols) {
        if (recipe != null) {
            return recipe.typeFor(name, 2, cols);
        }
        return cols % tensorType.blockSize() == 0 ? tensorType : TensorType.F32;
    }

    /** "q8_0", "int4-g128": as written on the command line and in cache file names. */
    public String cliName() {
        return cliName;
    }

    /** The command-line names, for messages. */
    public static List<String> cliNames() {
        return Arrays.stream(values()).map(SyntheticWeightType::cliName).toList();
    }

    /** Parses a {@link #cliName()} (any case); anything else is a {@link FlashjException} listing them. */
    public static SyntheticWeightType parse(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        for (SyntheticWeightType t : values()) {
            if (t.cliName.equals(wanted)) {
                return t;
            }
        }
        throw new FlashjException("unknown weight type '" + name + "' (known: " + String.join(", ", cliNames()) + ")");
    }
}
