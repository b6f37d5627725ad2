package dev.flashj.ops;

import java.util.Arrays;

/**
 * What lightning (causal linear) attention computes, per batch and query head h:
 * {@code O = ((φ(Q) φ(K)^T) ⊙ M) V} with {@code M[i][j] = decay[h]^(i-j)} for {@code j <= i} and 0
 * above the diagonal. No softmax and no normalisation; {@code decay[h] = 1} is plain causal linear
 * attention. Tuning (the block size) lives apart, in {@link LightningTuning}.
 *
 * @param decay      λ per query head, each in (0, 1]
 * @param featureMap φ applied to queries and keys
 */
public record LightningSpec(float[] decay, FeatureMap featureMap) {

    public LightningSpec {
        decay = decay == null ? null : decay.clone();
    }

    /** The same λ for every one of {@code heads} heads, identity feature map. */
    public static LightningSpec uniform(int heads, float decay) {
        float[] d = new float[Math.max(0, heads)];
        Arrays.fill(d, decay);
        return new LightningSpec(d, FeatureMap.IDENTITY);
    }

    /** Plain causal linear attention (λ = 1) over {@code heads} heads. */
    public static LightningSpec linear(int heads) {
        return uniform(heads, 1f);
    }

    public LightningSpec withFeatureMap(FeatureMap map) {
        return new LightningSpec(decay, map);
    }

    /** λ per head (a fresh copy). */
    @Override
    public float[] decay() {
        return decay == null ? null : decay.clone();
    }

    /** λ of head {@code h}, without copying. */
    public float decayOf(int h) {
        return decay[h];
    }

    public int heads() {
        return decay == null ? 0 : decay.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LightningSpec s && Arrays.equals(decay, s.decay) && featureMap == s.featureMap;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(decay) + (featureMap == null ? 0 : featureMap.hashCode());
    }

    @Override
    public String toString() {
        return "LightningSpec[decay=" + Arrays.toString(decay) + ", featureMap=" + featureMap + "]";
    }
}
