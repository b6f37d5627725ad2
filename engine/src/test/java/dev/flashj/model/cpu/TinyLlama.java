package dev.flashj.model.cpu;

import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Test fixture: a tiny LLaMA with random weights, as float arrays by canonical name. */
final class TinyLlama {
    /** A weight: row-major shape and values. */
    record Weight(long[] shape, float[] values) {
    }

    final LlamaConfig config;
    final Map<String, Weight> weights;

    private TinyLlama(LlamaConfig config, Map<String, Weight> weights) {
        this.config = config;
        this.weights = weights;
    }

    /** dim 48, 3 layers, 6 heads, 2 KV heads (head 8), hidden 80, vocab 97. */
    static LlamaConfig smallConfig(RopeStyle style, RopeScaling scaling, boolean tied, boolean bias) {
        return new LlamaConfig(48, 80, 3, 6, 2, 8, 97, 300, 1e-5f,
                new RopeConfig(10000f, scaling, style, 8), tied, bias);
    }

    static TinyLlama random(LlamaConfig c, long seed) {
        Random rnd = new Random(seed);
        Map<String, Weight> w = new LinkedHashMap<>();
        put(w, LlamaTensorNames.TOKEN_EMBEDDING, rnd, 1.0, 0, c.vocabSize(), c.dim());
        for (int l = 0; l < c.numLayers(); l++) {
            put(w, LlamaTensorNames.attentionNorm(l), rnd, 0.2, 1, c.dim());
            put(w, LlamaTensorNames.query(l), rnd, 1.5 / Math.sqrt(c.dim()), 0, c.qDim(), c.dim());
            put(w, LlamaTensorNames.key(l), rnd, 1.5 / Math.sqrt(c.dim()), 0, c.kvDim(), c.dim());
            put(w, LlamaTensorNames.value(l), rnd, 1 / Math.sqrt(c.dim()), 0, c.kvDim(), c.dim());
            if (c.attentionBias()) {
                put(w, LlamaTensorNames.queryBias(l), rnd, 0.3, 0, c.qDim());
                put(w, LlamaTensorNames.keyBias(l), rnd, 0.3, 0, c.kvDim());
                put(w, LlamaTensorNames.valueBias(l), rnd, 0.3, 0, c.kvDim());
            }
            put(w, LlamaTensorNames.attentionOutput(l), rnd, 1 / Math.sqrt(c.qDim()), 0, c.dim(), c.qDim());
            put(w, LlamaTensorNames.ffnNorm(l), rnd, 0.2, 1, c.dim());
            put(w, LlamaTensorNames.ffnGate(l), rnd, 1 / Math.sqrt(c.dim()), 0, c.hiddenDim(), c.dim());
            put(w, LlamaTensorNames.ffnUp(l), rnd, 1 / Math.sqrt(c.dim()), 0, c.hiddenDim(), c.dim());
            put(w, LlamaTensorNames.ffnDown(l), rnd, 1 / Math.sqrt(c.hiddenDim()), 0, c.dim(), c.hiddenDim());
        }
        put(w, LlamaTensorNames.OUTPUT_NORM, rnd, 0.2, 1, c.dim());
        if (!c.tiedEmbeddings()) {
            put(w, LlamaTensorNames.OUTPUT, rnd, 2 / Math.sqrt(c.dim()), 0, c.vocabSize(), c.dim());
        }
        return new TinyLlama(c, w);
    }

    private static void put(Map<String, Weight> w, String name, Random rnd, double scale, double mean, int... shape) {
        long n = 1;
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            n *= shape[i];
            s[i] = shape[i];
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (mean + scale * rnd.nextGaussian());
        }
        w.put(name, new Weight(s, v));
    }

    ArenaModelFile toModelFile() {
        return new ArenaModelFile(config, weights);
    }

    /**
     * The same model as a Hugging Face export stores it: Q and K rows (and biases) of every head permuted
     * Meta→HF (row {@code 2i+t} of a head moves to {@code t*headDim/2 + i}), and the HALF rope style.
     * With rotary dims equal to the head size this is mathematically the same model.
     */
    TinyLlama permutedToHf() {
        LlamaConfig c = config;
        RopeConfig r = c.rope();
        LlamaConfig hf = new LlamaConfig(c.dim(), c.hiddenDim(), c.numLayers(), c.numHeads(), c.numKvHeads(),
                c.headDim(), c.vocabSize(), c.contextLength(), c.rmsNormEps(),
                new RopeConfig(r.theta(), r.scaling(), RopeStyle.HALF, r.rotaryDims()), c.tiedEmbeddings(),
                c.attentionBias());
        Map<String, Weight> w = new LinkedHashMap<>(weights);
        for (int l = 0; l < c.numLayers(); l++) {
            permuteRows(w, LlamaTensorNames.query(l), c.numHeads(), c.headDim());
            permuteRows(w, LlamaTensorNames.key(l), c.numKvHeads(), c.headDim());
            if (c.attentionBias()) {
                permuteRows(w, LlamaTensorNames.queryBias(l), c.numHeads(), c.headDim());
                permuteRows(w, LlamaTensorNames.keyBias(l), c.numKvHeads(), c.headDim());
            }
        }
        return new TinyLlama(hf, w);
    }

    private static void permuteRows(Map<String, Weight> w, String name, int heads, int headDim) {
        Weight old = w.get(name);
        int cols = old.shape().length == 2 ? (int) old.shape()[1] : 1;
        float[] src = old.values();
        float[] dst = new float[src.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int t = 0; t < 2; t++) {
                    int from = h * headDim + 2 * i + t;
                    int to = h * headDim + t * half + i;
                    System.arraycopy(src, from * cols, dst, to * cols, cols);
                }
            }
        }
        w.put(name, new Weight(old.shape(), dst));
    }
}
