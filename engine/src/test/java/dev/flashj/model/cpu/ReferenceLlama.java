package dev.flashj.model.cpu;

import dev.flashj.cpu.RopeReference;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;

import java.util.Map;

/**
 * Test reference: the LLaMA forward pass in float64 with plain loops, one token at a time, written from
 * the definitions (no FlashJ kernels). Returns the logits of every position.
 */
final class ReferenceLlama {
    private final LlamaConfig c;
    private final Map<String, TinyLlama.Weight> w;

    ReferenceLlama(TinyLlama model) {
        this.c = model.config;
        this.w = model.weights;
    }

    private float[] get(String name) {
        return w.get(name).values();
    }

    /** logits[t][v] after feeding tokens[0..t]. */
    double[][] forward(int[] tokens) {
        int dim = c.dim();
        int hd = c.headDim();
        int kvDim = c.kvDim();
        int n = tokens.length;
        double[][][] keys = new double[c.numLayers()][n][];
        double[][][] values = new double[c.numLayers()][n][];
        double[][] logits = new double[n][];
        float[] emb = get(LlamaTensorNames.TOKEN_EMBEDDING);
        for (int pos = 0; pos < n; pos++) {
            double[] x = new double[dim];
            for (int i = 0; i < dim; i++) {
                x[i] = emb[tokens[pos] * dim + i];
            }
            for (int l = 0; l < c.numLayers(); l++) {
                double[] xn = rmsNorm(x, get(LlamaTensorNames.attentionNorm(l)));
                double[] q = matVec(get(LlamaTensorNames.query(l)), xn, c.qDim());
                double[] k = matVec(get(LlamaTensorNames.key(l)), xn, kvDim);
                double[] v = matVec(get(LlamaTensorNames.value(l)), xn, kvDim);
                if (c.attentionBias()) {
                    addInto(q, get(LlamaTensorNames.queryBias(l)));
                    addInto(k, get(LlamaTensorNames.keyBias(l)));
                    addInto(v, get(LlamaTensorNames.valueBias(l)));
                }
                for (int h = 0; h < c.numHeads(); h++) {
                    RopeReference.rotate(c.rope(), q, h * hd, pos);
                }
                for (int h = 0; h < c.numKvHeads(); h++) {
                    RopeReference.rotate(c.rope(), k, h * hd, pos);
                }
                keys[l][pos] = k;
                values[l][pos] = v;
                double[] att = new double[c.qDim()];
                int group = c.numHeads() / c.numKvHeads();
                for (int h = 0; h < c.numHeads(); h++) {
                    int g = h / group;
                    double[] s = new double[pos + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int p = 0; p <= pos; p++) {
                        double dot = 0;
                        for (int d = 0; d < hd; d++) {
                            dot += q[h * hd + d] * keys[l][p][g * hd + d];
                        }
                        s[p] = dot / Math.sqrt(hd);
                        max = Math.max(max, s[p]);
                    }
                    double sum = 0;
                    for (int p = 0; p <= pos; p++) {
                        s[p] = Math.exp(s[p] - max);
                        sum += s[p];
                    }
                    for (int p = 0; p <= pos; p++) {
                        for (int d = 0; d < hd; d++) {
                            att[h * hd + d] += s[p] / sum * values[l][p][g * hd + d];
                        }
                    }
                }
                addInto(x, matVec(get(LlamaTensorNames.attentionOutput(l)), att, dim));
                double[] xf = rmsNorm(x, get(LlamaTensorNames.ffnNorm(l)));
                double[] gate = matVec(get(LlamaTensorNames.ffnGate(l)), xf, c.hiddenDim());
                double[] up = matVec(get(LlamaTensorNames.ffnUp(l)), xf, c.hiddenDim());
                for (int i = 0; i < gate.length; i++) {
                    gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                addInto(x, matVec(get(LlamaTensorNames.ffnDown(l)), gate, dim));
            }
            double[] xo = rmsNorm(x, get(LlamaTensorNames.OUTPUT_NORM));
            float[] head = w.containsKey(LlamaTensorNames.OUTPUT) ? get(LlamaTensorNames.OUTPUT) : emb;
            logits[pos] = matVec(head, xo, c.vocabSize());
        }
        return logits;
    }

    private double[] rmsNorm(double[] x, float[] weight) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + c.rmsNormEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * weight[i];
        }
        return out;
    }

    private static double[] matVec(float[] m, double[] x, int rows) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += m[r * x.length + i] * x[i];
            }
            out[r] = s;
        }
        return out;
    }

    private static void addInto(double[] x, float[] b) {
        for (int i = 0; i < x.length; i++) {
            x[i] += b[i];
        }
    }

    private static void addInto(double[] x, double[] b) {
        for (int i = 0; i < x.length; i++) {
            x[i] += b[i];
        }
    }
}
