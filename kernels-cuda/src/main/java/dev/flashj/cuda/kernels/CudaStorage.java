package dev.flashj.cuda.kernels;

/**
 * The 16-bit type weights and activations are stored in on the GPU (arithmetic is always fp32).
 * Kernels exist once per type, named NAME_f16 and NAME_bf16.
 */
public enum CudaStorage {
    F16("f16"),
    BF16("bf16");

    private final String suffix;

    CudaStorage(String suffix) {
        this.suffix = suffix;
    }

    /** The kernel name for this type: "rmsnorm" -> "rmsnorm_f16". */
    public String kernel(String base) {
        return base + "_" + suffix;
    }

    public String suffix() {
        return suffix;
    }

    /** The 16 bits of {@code value} in this type, rounded to nearest even. */
    public short encode(float value) {
        return this == F16 ? Float.floatToFloat16(value) : bf16Bits(value);
    }

    public float decode(short bits) {
        return this == F16 ? Float.float16ToFloat(bits) : Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** What a value becomes once stored: the float {@code decode(encode(value))}. */
    public float round(float value) {
        return decode(encode(value));
    }

    private static short bf16Bits(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);  // stays a (quiet) NaN
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
