package dev.flashj.ops.cpu;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.Ops;
import dev.flashj.ops.AttentionShapes;
import dev.flashj.ops.FeatureMap;
import dev.flashj.ops.LightningSpec;

/**
 * Lightning attention on the CPU, one (batch, head) per task. The parallel form follows Lightning
 * Attention-2: per block of B tokens, the intra-block part is the masked quadratic form
 * {@code ((Q_b K_b^T) ⊙ M) V_b} and the inter-block part reads the running state
 * {@code S = Σ_{j < block} λ^(t0-1-j) k_j v_j^T} [keyDim x valueDim] as {@code λ^(i+1) q_i S}; then
 * {@code S ← λ^n S + Σ_j λ^(n-1-j) k_j v_j^T}. Time is linear in the length, memory per head is S
 * plus one block. The recurrent form is {@code S ← λ S + k v^T, o = q S}.
 */
final class CpuLightning {
    private CpuLightning() {
    }

    static void parallel(CpuThreads threads, AttentionShapes.Lightning s, LightningSpec spec, int block,
                         float[] q, float[] k, float[] v, float[] state, float[] out) {
        int dk = s.keyDim();
        int dv = s.valueDim();
        int tokens = s.tokens();
        int group = s.heads() / s.kvHeads();
        FeatureMap phi = spec.featureMap();
        threads.parallelFor(s.batch() * s.heads(), (start, end) -> {
            float[] S = new float[dk * dv];
            float[] qb = new float[block * dk];
            float[] kb = new float[block * dk];
            float[] powers = new float[block + 1];
            for (int bh = start; bh < end; bh++) {
                int b = bh / s.heads();
                int h = bh % s.heads();
                int kvh = h / group;
                int stateOff = bh * dk * dv;
                if (state != null) {
                    System.arraycopy(state, stateOff, S, 0, dk * dv);
                } else {
                    java.util.Arrays.fill(S, 0f);
                }
                double lambda = spec.decayOf(h);
                for (int e = 0; e <= block; e++) {
                    powers[e] = (float) Math.pow(lambda, e);
                }
                for (int t0 = 0; t0 < tokens; t0 += block) {
                    int n = Math.min(block, tokens - t0);
                    for (int i = 0; i < n; i++) {
                        int qOff = ((b * tokens + t0 + i) * s.heads() + h) * dk;
                        int kOff = ((b * tokens + t0 + i) * s.kvHeads() + kvh) * dk;
                        for (int d = 0; d < dk; d++) {
                            qb[i * dk + d] = phi.apply(q[qOff + d]);
                            kb[i * dk + d] = phi.apply(k[kOff + d]);
                        }
                    }
                    for (int i = 0; i < n; i++) {
                        int oOff = ((b * tokens + t0 + i) * s.heads() + h) * dv;
                        java.util.Arrays.fill(out, oOff, oOff + dv, 0f);
                        // Inter-block: the state of every earlier block, decayed to token t0 + i.
                        float carry = powers[i + 1];
                        for (int d = 0; d < dk; d++) {
                            float c = carry * qb[i * dk + d];
                            if (c != 0f) {
                                Ops.axpy(c, S, d * dv, out, oOff, dv);
                            }
                        }
                        // Intra-block: the masked quadratic form.
                        for (int j = 0; j <= i; j++) {
                            float a = Ops.dot(qb, i * dk, kb, j * dk, dk) * powers[i - j];
                            int vOff = ((b * tokens + t0 + j) * s.kvHeads() + kvh) * dv;
                            Ops.axpy(a, v, vOff, out, oOff, dv);
                        }
                    }
                    if (t0 + n < tokens || state != null) {
                        Ops.scale(S, 0, dk * dv, powers[n]);
                        for (int j = 0; j < n; j++) {
                            int vOff = ((b * tokens + t0 + j) * s.kvHeads() + kvh) * dv;
                            float w = powers[n - 1 - j];
                            for (int d = 0; d < dk; d++) {
                                float c = w * kb[j * dk + d];
                                if (c != 0f) {
                                    Ops.axpy(c, v, vOff, S, d * dv, dv);
                                }
                            }
                        }
                    }
                }
                if (state != null) {
                    System.arraycopy(S, 0, state, stateOff, dk * dv);
                }
            }
        });
    }

    static void step(CpuThreads threads, AttentionShapes.Lightning s, LightningSpec spec, float[] q, float[] k,
                     float[] v, float[] state, float[] out) {
        int dk = s.keyDim();
        int dv = s.valueDim();
        int group = s.heads() / s.kvHeads();
        FeatureMap phi = spec.featureMap();
        threads.parallelFor(s.batch() * s.heads(), (start, end) -> {
            for (int bh = start; bh < end; bh++) {
                int b = bh / s.heads();
                int h = bh % s.heads();
                int kvh = h / group;
                int sOff = bh * dk * dv;
                int qOff = (b * s.heads() + h) * dk;
                int kOff = (b * s.kvHeads() + kvh) * dk;
                int vOff = (b * s.kvHeads() + kvh) * dv;
                int oOff = (b * s.heads() + h) * dv;
                Ops.scale(state, sOff, dk * dv, spec.decayOf(h));
                for (int d = 0; d < dk; d++) {
                    Ops.axpy(phi.apply(k[kOff + d]), v, vOff, state, sOff + d * dv, dv);
                }
                java.util.Arrays.fill(out, oOff, oOff + dv, 0f);
                for (int d = 0; d < dk; d++) {
                    Ops.axpy(phi.apply(q[qOff + d]), state, sOff + d * dv, out, oOff, dv);
                }
            }
        });
    }
}
