package dev.flashj.quant;

import dev.flashj.model.LlamaTensorNames;
import dev.flashj.tensor.TensorType;

import java.util.Arrays;
import java.util.Optional;

/**
 * What {@code flashj quantize --type} produces, and which tensor type each weight gets. Like
 * llama.cpp: 1-D tensors (norms, biases) stay F32; a matrix whose rows are not whole blocks falls back
 * to a smaller block, then to F16. Differences from llama-quantize are noted per constant.
 */
public enum QuantType {
    F32("f32", TensorType.F32, 0),
    F16("f16", TensorType.F16, 1),
    /** Every matrix Q8_0 (llama.cpp's Q8_0 does the same). */
    Q8_0("q8_0", TensorType.Q8_0, 7),
    /** Matrices Q4_0; the output head Q8_0 (llama.cpp uses Q6_K there; FlashJ has no Q6_K quantizer yet). */
    Q4_0("q4_0", TensorType.Q4_0, 2),
    /** Matrices Q4_K (fallback Q5_0, as llama.cpp); output head Q8_0 (llama.cpp: Q6_K); ftype Q4_K_S. */
    Q4_K("q4_k", TensorType.Q4_K, 14),
    /** FlashJ W4A16 groups of 128 (fallback groups of 32, then F16); embeddings and output head F16. */
    INT4_G128("int4-g128", TensorType.INT4_G128, -1),
    /** FlashJ W4A16 groups of 32; embeddings and output head F16. */
    INT4_G32("int4-g32", TensorType.INT4_G32, -1),
    /** FlashJ FP8 E4M3, per-output-channel scales; embeddings and output head F16. */
    FP8("fp8", TensorType.FP8_E4M3, -1);

    private final String cliName;
    private final TensorType matrixType;
    private final int llamaFileType;

    QuantType(String cliName, TensorType matrixType, int llamaFileType) {
        this.cliName = cliName;
        this.matrixType = matrixType;
        this.llamaFileType = llamaFileType;
    }

    /** The spelling on the command line, e.g. "int4-g128". */
    public String cliName() {
        return cliName;
    }

    public TensorType matrixType() {
        return matrixType;
    }

    /** llama.cpp's {@code general.file_type} (LLAMA_FTYPE_*), absent for FlashJ's own formats. */
    public Optional<Integer> llamaFileType() {
        return llamaFileType < 0 ? Optional.empty() : Optional.of(llamaFileType);
    }

    public static Optional<QuantType> fromCliName(String name) {
        return Arrays.stream(values()).filter(t -> t.cliName.equalsIgnoreCase(name)).findFirst();
    }

    /**
     * The type a tensor gets. {@code rank} and {@code cols} (the innermost dimension) decide, with the
     * canonical name for the embedding and output head.
     */
    public TensorType typeFor(String name, int rank, long cols) {
        if (rank < 2 || this == F32) {
            return TensorType.F32;
        }
        boolean embedding = name.equals(LlamaTensorNames.TOKEN_EMBEDDING);
        boolean head = name.equals(LlamaTensorNames.OUTPUT);
        TensorType wanted = switch (this) {
            case F32 -> TensorType.F32;
            case F16 -> TensorType.F16;
            case Q8_0 -> TensorType.Q8_0;
            case Q4_0 -> head ? TensorType.Q8_0 : TensorType.Q4_0;
            case Q4_K -> head ? TensorType.Q8_0 : TensorType.Q4_K;
            case INT4_G128, INT4_G32, FP8 -> embedding || head ? TensorType.F16 : matrixType;
        };
        return fitting(wanted, cols);
    }

    /** The wanted type when rows are whole blocks of it, else the next one that fits. */
    private static TensorType fitting(TensorType wanted, long cols) {
        TensorType t = wanted;
        while (cols % t.blockSize() != 0) {
            t = switch (t) {
                case Q4_K -> TensorType.Q5_0;
                case INT4_G128 -> TensorType.INT4_G32;
                default -> TensorType.F16;
            };
        }
        return t;
    }
}
