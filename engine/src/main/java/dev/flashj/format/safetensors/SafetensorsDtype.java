package dev.flashj.format.safetensors;

import dev.flashj.tensor.TensorType;

import java.util.Optional;

/**
 * Element types a safetensors header may name, with their size. Only F32, F16 and BF16 map to a
 * FlashJ {@link TensorType}; the others are recognised so their byte ranges can still be validated.
 * Sub-byte types (F4, F6_*) and names not listed here are kept as plain strings by
 * {@link SafetensorsEntry}, with only their byte range checked.
 */
public enum SafetensorsDtype {
    BOOL(1, null),
    U8(1, null),
    I8(1, null),
    F8_E4M3(1, null),
    F8_E5M2(1, null),
    F8_E8M0(1, null),
    I16(2, null),
    U16(2, null),
    F16(2, TensorType.F16),
    BF16(2, TensorType.BF16),
    I32(4, null),
    U32(4, null),
    F32(4, TensorType.F32),
    F64(8, null),
    I64(8, null),
    U64(8, null);

    private final int bytesPerElement;
    private final TensorType tensorType;

    SafetensorsDtype(int bytesPerElement, TensorType tensorType) {
        this.bytesPerElement = bytesPerElement;
        this.tensorType = tensorType;
    }

    public int bytesPerElement() {
        return bytesPerElement;
    }

    /** The FlashJ type, when FlashJ can use tensors of this dtype as weights. */
    public Optional<TensorType> tensorType() {
        return Optional.ofNullable(tensorType);
    }

    /** The dtype a header string names, if it is one of the fixed-size types above. */
    public static Optional<SafetensorsDtype> byName(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }
}
