package dev.flashj.ops.cpu;

import dev.flashj.cpu.CpuThreads;
import dev.flashj.cpu.Ops;
import dev.flashj.ops.AttentionShapes;
import dev.flashj.ops.NeighborhoodAxis;

/**
 * Neighborhood attention on the CPU over three (padded) spatial axes: each query position computes
 * its window box once, then every head scores the box's keys, softmaxes them and sums the values.
 * Work is split over (batch, position); scratch is the window's scores only.
 */
final class CpuNeighborhood {
    private CpuNeighborhood() {
    }

    static void run(CpuThreads threads, AttentionShapes.Neighborhood s, float[] q, float[] k, float[] v, float[] out) {
        int[] size = s.sizes();
        int[] kernel = s.kernel();
        int[] dil = s.dilation();
        boolean[] causal = s.causal();
        int d = s.headDim();
        int heads = s.heads();
        int kvHeads = s.kvHeads();
        int group = heads / kvHeads;
        int tokens = s.tokens();
        threads.parallelFor(s.batch() * tokens, (start, end) -> {
            float[] scores = new float[kernel[0] * kernel[1] * kernel[2]];
            int[] lo = new int[3];
            int[] hi = new int[3];
            int[] pos = new int[3];
            for (int item = start; item < end; item++) {
                int b = item / tokens;
                int token = item % tokens;
                pos[2] = token % size[2];
                pos[1] = (token / size[2]) % size[1];
                pos[0] = token / (size[2] * size[1]);
                for (int a = 0; a < 3; a++) {
                    lo[a] = NeighborhoodAxis.windowStart(pos[a], size[a], kernel[a], dil[a], causal[a]);
                    hi[a] = NeighborhoodAxis.windowEnd(pos[a], size[a], kernel[a], dil[a], causal[a]);
                }
                for (int h = 0; h < heads; h++) {
                    int kvh = h / group;
                    int qOff = ((b * tokens + token) * heads + h) * d;
                    int n = 0;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int z = lo[0]; z <= hi[0]; z += dil[0]) {
                        for (int y = lo[1]; y <= hi[1]; y += dil[1]) {
                            for (int x = lo[2]; x <= hi[2]; x += dil[2]) {
                                int key = (z * size[1] + y) * size[2] + x;
                                int kOff = ((b * tokens + key) * kvHeads + kvh) * d;
                                float sc = Ops.dot(q, qOff, k, kOff, d) * s.scale();
                                scores[n++] = sc;
                                max = Math.max(max, sc);
                            }
                        }
                    }
                    float sum = 0f;
                    for (int i = 0; i < n; i++) {
                        float e = (float) Math.exp(scores[i] - max);
                        scores[i] = e;
                        sum += e;
                    }
                    float inv = 1f / sum;
                    java.util.Arrays.fill(out, qOff, qOff + d, 0f);
                    int i = 0;
                    for (int z = lo[0]; z <= hi[0]; z += dil[0]) {
                        for (int y = lo[1]; y <= hi[1]; y += dil[1]) {
                            for (int x = lo[2]; x <= hi[2]; x += dil[2]) {
                                int key = (z * size[1] + y) * size[2] + x;
                                int vOff = ((b * tokens + key) * kvHeads + kvh) * d;
                                Ops.axpy(scores[i++] * inv, v, vOff, out, qOff, d);
                            }
                        }
                    }
                }
            }
        });
    }
}
