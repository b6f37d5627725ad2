package dev.flashj.quant;

import dev.flashj.FlashjException;
import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.MatMul;
import dev.flashj.cpu.Ops;
import dev.flashj.cpu.RmsNorm;
import dev.flashj.cpu.Rope;
import dev.flashj.cpu.RopeTable;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;

import java.util.Optional;

/**
 * Runs the unquantized model over a calibration text, one batch of all its tokens, and records the
 * activations entering every matrix ({@link ActivationStats}). A plain batched LLaMA forward over
 * the source's own tensors (in their own row order and RoPE style); logits are not computed.
 */
final class CalibrationRun {
    private CalibrationRun() {
    }

    static ActivationStats collect(ModelFile in, String text) {
        LlamaConfig c = in.config();
        int[] tokens = in.tokenizer().encode(text, true, false);
        if (tokens.length < 2) {
            throw new FlashjException("--calibration: the text gives " + tokens.length + " token(s); give a few sentences");
        }
        int n = tokens.length;
        int dim = c.dim();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        int hidden = c.hiddenDim();
        ActivationStats stats = new ActivationStats(c.numLayers(), dim, qDim, hidden);
        RopeTable rope = RopeTable.create(c.rope(), n);
        try (CpuThreads threads = new CpuThreads(CpuThreads.defaultThreads())) {
            float[] x = new float[n * dim];
            Tensor embedding = weight(in, LlamaTensorNames.TOKEN_EMBEDDING);
            for (int t = 0; t < n; t++) {
                Dequantizer.dequantize(embedding, (long) tokens[t] * dim, x, t * dim, dim);
            }
            float[] h = new float[n * dim];
            float[] q = new float[n * qDim];
            float[] k = new float[n * kvDim];
            float[] v = new float[n * kvDim];
            float[] attention = new float[n * qDim];
            float[] projected = new float[n * dim];
            float[] gate = new float[n * hidden];
            float[] up = new float[n * hidden];
            for (int l = 0; l < c.numLayers(); l++) {
                RmsNorm.applyRows(x, 0, vector(in, LlamaTensorNames.attentionNorm(l)), c.rmsNormEps(), h, 0, dim, n);
                stats.attentionInput[l].add(h, n);
                MatMul.matmul(threads, weight(in, LlamaTensorNames.query(l)), h, 0, n, q, 0);
                MatMul.matmul(threads, weight(in, LlamaTensorNames.key(l)), h, 0, n, k, 0);
                MatMul.matmul(threads, weight(in, LlamaTensorNames.value(l)), h, 0, n, v, 0);
                addBias(in, LlamaTensorNames.queryBias(l), q, n);
                addBias(in, LlamaTensorNames.keyBias(l), k, n);
                addBias(in, LlamaTensorNames.valueBias(l), v, n);
                Rope.applyRows(q, 0, n, c.numHeads(), c.headDim(), c.rope().style(), rope, 0);
                Rope.applyRows(k, 0, n, c.numKvHeads(), c.headDim(), c.rope().style(), rope, 0);
                causalAttention(c, q, k, v, attention, n);
                stats.attentionOutput[l].add(attention, n);
                MatMul.matmul(threads, weight(in, LlamaTensorNames.attentionOutput(l)), attention, 0, n, projected, 0);
                Ops.add(projected, 0, x, 0, n * dim);
                RmsNorm.applyRows(x, 0, vector(in, LlamaTensorNames.ffnNorm(l)), c.rmsNormEps(), h, 0, dim, n);
                stats.ffnInput[l].add(h, n);
                MatMul.matmul(threads, weight(in, LlamaTensorNames.ffnGate(l)), h, 0, n, gate, 0);
                MatMul.matmul(threads, weight(in, LlamaTensorNames.ffnUp(l)), h, 0, n, up, 0);
                Ops.siluMul(gate, 0, up, 0, n * hidden);
                stats.downInput[l].add(gate, n);
                MatMul.matmul(threads, weight(in, LlamaTensorNames.ffnDown(l)), gate, 0, n, projected, 0);
                Ops.add(projected, 0, x, 0, n * dim);
            }
        }
        return stats;
    }

    /** Plain causal GQA attention in float, token by token (the calibration text is short). */
    private static void causalAttention(LlamaConfig c, float[] q, float[] k, float[] v, float[] out, int n) {
        int hd = c.headDim();
        int group = c.numHeads() / c.numKvHeads();
        float scale = (float) (1 / Math.sqrt(hd));
        float[] scores = new float[n];
        java.util.Arrays.fill(out, 0, n * c.qDim(), 0f);
        for (int t = 0; t < n; t++) {
            for (int head = 0; head < c.numHeads(); head++) {
                int kvHead = head / group;
                for (int s = 0; s <= t; s++) {
                    scores[s] = Ops.dot(q, t * c.qDim() + head * hd, k, s * c.kvDim() + kvHead * hd, hd) * scale;
                }
                Ops.softmax(scores, 0, t + 1);
                for (int s = 0; s <= t; s++) {
                    Ops.axpy(scores[s], v, s * c.kvDim() + kvHead * hd, out, t * c.qDim() + head * hd, hd);
                }
            }
        }
    }

    private static Tensor weight(ModelFile in, String name) {
        return in.weight(name).orElseThrow(() -> new FlashjException(in.path() + ": weight " + name + " is missing"));
    }

    private static float[] vector(ModelFile in, String name) {
        return Dequantizer.toFloats(weight(in, name));
    }

    private static void addBias(ModelFile in, String name, float[] rows, int n) {
        Optional<Tensor> bias = in.weight(name);
        if (bias.isPresent()) {
            float[] b = Dequantizer.toFloats(bias.get());
            for (int t = 0; t < n; t++) {
                Ops.add(b, 0, rows, t * b.length, b.length);
            }
        }
    }
}
