package dev.flashj.model.cpu;

/**
 * A sequence's keys and values: float32, per layer a contiguous [maxTokens, kvDim] array. Kept behind
 * this class so a paged cache can replace it.
 */
final class KvCache {
    private final int kvDim;
    private final int maxTokens;
    private final float[][] keys;
    private final float[][] values;

    KvCache(int numLayers, int maxTokens, int kvDim) {
        if ((long) maxTokens * kvDim > Integer.MAX_VALUE - 8) {
            throw new dev.flashj.FlashjException("KV cache of " + maxTokens + " tokens x " + kvDim
                    + " floats per layer exceeds one Java array; use fewer tokens");
        }
        this.kvDim = kvDim;
        this.maxTokens = maxTokens;
        this.keys = new float[numLayers][maxTokens * kvDim];
        this.values = new float[numLayers][maxTokens * kvDim];
    }

    int maxTokens() {
        return maxTokens;
    }

    /** Copies {@code count} rows of keys and values (each [count, kvDim]) to positions {@code first ..}. */
    void store(int layer, int first, float[] k, float[] v, int count) {
        System.arraycopy(k, 0, keys[layer], first * kvDim, count * kvDim);
        System.arraycopy(v, 0, values[layer], first * kvDim, count * kvDim);
    }

    /** Keys of a layer, position {@code p} at {@code p * kvDim}. */
    float[] keys(int layer) {
        return keys[layer];
    }

    /** Values of a layer, same layout as keys. */
    float[] values(int layer) {
        return values[layer];
    }
}
