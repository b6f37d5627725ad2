package dev.flashj.ops;

/** The feature map φ lightning attention applies to every query and key element before the products. */
public enum FeatureMap {
    /** φ(x) = x. */
    IDENTITY,
    /** φ(x) = elu(x) + 1, i.e. x + 1 for x &gt; 0 and e^x otherwise: always positive. */
    ELU_PLUS_ONE;

    /** φ applied to one element. */
    public float apply(float x) {
        return switch (this) {
            case IDENTITY -> x;
            case ELU_PLUS_ONE -> x > 0 ? x + 1f : (float) Math.exp(x);
        };
    }
}
