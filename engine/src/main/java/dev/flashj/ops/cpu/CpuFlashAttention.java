package dev.flashj.ops.cpu;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.Ops;
import dev.flashj.ops.AttentionShapes;

/**
 * Softmax attention with an online softmax: each (batch, query, head) walks its keys once, keeping
 * the running max, sum and output, so no score row or matrix is stored.
 */
final class CpuFlashAttention {
    private CpuFlashAttention() {
    }

    static void run(CpuThreads threads, AttentionShapes.Flash s, boolean causal, float[] q, float[] k, float[] v,
                    float[] out) {
        int d = s.headDim();
        int group = s.heads() / s.kvHeads();
        int offset = s.keys() - s.queries();
        int items = s.batch() * s.queries() * s.heads();
        threads.parallelFor(items, (start, end) -> {
            float[] qs = new float[d];
            for (int item = start; item < end; item++) {
                int h = item % s.heads();
                int t = (item / s.heads()) % s.queries();
                int b = item / (s.heads() * s.queries());
                int kvh = h / group;
                int qOff = ((b * s.queries() + t) * s.heads() + h) * d;
                for (int i = 0; i < d; i++) {
                    qs[i] = q[qOff + i] * s.scale();
                }
                java.util.Arrays.fill(out, qOff, qOff + d, 0f);
                int keyEnd = causal ? t + offset + 1 : s.keys();
                float max = Float.NEGATIVE_INFINITY;
                float sum = 0f;
                for (int j = 0; j < keyEnd; j++) {
                    int kOff = ((b * s.keys() + j) * s.kvHeads() + kvh) * d;
                    float score = Ops.dot(qs, 0, k, kOff, d);
                    if (score > max) {
                        // A new maximum: rescale what was accumulated under the old one.
                        float c = (float) Math.exp(max - score);
                        sum *= c;
                        Ops.scale(out, qOff, d, c);
                        max = score;
                    }
                    float p = (float) Math.exp(score - max);
                    sum += p;
                    Ops.axpy(p, v, kOff, out, qOff, d);
                }
                Ops.scale(out, qOff, d, 1f / sum);
            }
        });
    }
}
