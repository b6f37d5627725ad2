package dev.flashj.tensor;

import java.util.Optional;

/**
 * Element types of weight tensors, with GGML's type ids and block layouts. Quantized types store
 * {@code blockSize} elements in {@code bytesPerBlock} bytes; plain types have a block of one element.
 *
 * <p>Ids from {@link #FLASHJ_FIRST_ID} on are FlashJ's own GPU-friendly formats (see
 * docs/quantization.md). They are not GGML block streams: a whole matrix is laid out as one region of
 * codes followed by one region of scales, so the codes of a row are contiguous and aligned for wide
 * loads. Readers need the matrix shape ({@link Int4Layout}, {@link Fp8Layout}).
 */
public enum TensorType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    BF16(30, 1, 2),
    /** FlashJ W4A16: 4-bit codes, one f16 scale and one f16 offset per 128 elements of a row. */
    INT4_G128(1000, 128, 68),
    /** FlashJ W4A16 with groups of 32 elements. */
    INT4_G32(1001, 32, 20),
    /** FlashJ FP8 E4M3 codes, one byte per element, plus one f32 scale per row (see {@link #matrixBytes}). */
    FP8_E4M3(1002, 1, 1);

    /** The first type id FlashJ uses for its own formats; GGML's ids stay far below it. */
    public static final int FLASHJ_FIRST_ID = 1000;

    private final int ggmlId;
    private final int blockSize;
    private final int bytesPerBlock;

    TensorType(int ggmlId, int blockSize, int bytesPerBlock) {
        this.ggmlId = ggmlId;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    public int ggmlId() {
        return ggmlId;
    }

    /** Elements per block (1 for F32/F16/BF16). */
    public int blockSize() {
        return blockSize;
    }

    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    public boolean isQuantized() {
        return blockSize > 1 || this == FP8_E4M3;
    }

    /** True for FlashJ's own formats, which llama.cpp cannot read and which need a matrix shape to decode. */
    public boolean isFlashjFormat() {
        return ggmlId >= FLASHJ_FIRST_ID;
    }

    /** The name written to GGUF metadata for FlashJ formats and shown by tools, e.g. "FLASHJ_INT4_G128". */
    public String displayName() {
        return isFlashjFormat() ? "FLASHJ_" + name() : name();
    }

    /**
     * Bytes of a tensor whose innermost dimension is {@code cols} and whose other dimensions multiply
     * to {@code rows}, or -1 as for {@link #bytesFor}. Equal to {@code bytesFor(rows * cols)} except for
     * FP8_E4M3, which adds one f32 scale per row after the codes.
     */
    public long matrixBytes(long rows, long cols) {
        if (rows < 0 || cols < 0 || (cols != 0 && rows > Long.MAX_VALUE / cols)) {
            return -1;
        }
        long body = bytesFor(rows * cols);
        if (this != FP8_E4M3 || body < 0) {
            return body;
        }
        return rows > (Long.MAX_VALUE - body) / 4 ? -1 : body + 4 * rows;
    }

    /**
     * Bytes needed for {@code elements} elements, or -1 when {@code elements} is not a whole number
     * of blocks or the byte count would overflow a long.
     */
    public long bytesFor(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            return -1;
        }
        long blocks = elements / blockSize;
        if (blocks > Long.MAX_VALUE / bytesPerBlock) {
            return -1;
        }
        return blocks * bytesPerBlock;
    }

    public static Optional<TensorType> fromGgmlId(int id) {
        for (TensorType t : values()) {
            if (t.ggmlId == id) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** GGML's name for a type id FlashJ may not support, for error messages. */
    public static String ggmlName(int id) {
        return fromGgmlId(id).map(TensorType::displayName).orElseGet(() -> switch (id) {
            case 4, 5 -> "Q4_2/Q4_3 (removed from GGML)";
            case 9 -> "Q8_1";
            case 16 -> "IQ2_XXS";
            case 17 -> "IQ2_XS";
            case 18 -> "IQ3_XXS";
            case 19 -> "IQ1_S";
            case 20 -> "IQ4_NL";
            case 21 -> "IQ3_S";
            case 22 -> "IQ2_S";
            case 23 -> "IQ4_XS";
            case 24 -> "I8";
            case 25 -> "I16";
            case 26 -> "I32";
            case 27 -> "I64";
            case 28 -> "F64";
            case 29 -> "IQ1_M";
            case 34 -> "TQ1_0";
            case 35 -> "TQ2_0";
            case 39 -> "MXFP4";
            default -> "unknown type id " + id;
        });
    }
}
