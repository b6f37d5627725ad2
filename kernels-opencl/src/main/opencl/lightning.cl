// Lightning attention (causal linear attention with per-head decay), Lightning Attention-2 tiling.
//
// Layouts (row-major): q [batch, tokens, heads, dk], k [batch, tokens, kvHeads, dk],
// v [batch, tokens, kvHeads, dv], out [batch, tokens, heads, dv], state [batch, heads, dk, dv].
// Query head h reads KV head h / (heads / kvHeads). featureMap: 0 identity, 1 elu(x) + 1.
// o_i = sum_{j <= i} decay[h]^(i-j) (phi(q_i) . phi(k_j)) v_j  (+ decay^(i+1) phi(q_i) S0 with a state).

#ifndef MAX_KEY_DIM
#define MAX_KEY_DIM 64
#endif

inline float feature(float x, int featureMap) {
    return featureMap == 0 ? x : (x > 0.0f ? x + 1.0f : exp(x));
}

// Parallel (prefill) form. One work-group per (head, batch) = (group 1, group 2); work-item e owns
// column e of the running state S [dk x dv] in private memory (S[:, e]) and writes output column e.
// Per block of n <= block tokens: phi(Q_b), phi(K_b), V_b and the masked scores
// A[i][j] = (q_i . k_j) decay^(i-j) go to local memory; o_i = decay^(i+1) q_i S + sum_j A[i][j] v_j;
// then S <- decay^n S + sum_j decay^(n-1-j) k_j v_j^T. Linear in tokens, constant state per head.
// Local: qb, kb [block * dk], vb [block * dv], scores [block * block], powers [block + 1].
__kernel void lightning_parallel(__global const float* q, __global const float* k, __global const float* v,
                                 __global float* state, __global float* out, __global const float* decay,
                                 int tokens, int heads, int kvHeads, int dk, int dv, int block, int featureMap,
                                 int useState, __local float* qb, __local float* kb, __local float* vb,
                                 __local float* scores, __local float* powers) {
    int lid = get_local_id(0);
    int size = get_local_size(0);
    int h = get_group_id(1);
    int b = get_group_id(2);
    int kvh = h / (heads / kvHeads);
    float lambda = decay[h];
    int e = lid;
    bool column = e < dv;
    size_t stateOff = ((size_t) b * heads + h) * dk * dv;

    for (int p = lid; p <= block; p += size) {
        powers[p] = pown(lambda, p);
    }
    float S[MAX_KEY_DIM];
    for (int d = 0; d < dk; d++) {
        S[d] = (useState && column) ? state[stateOff + (size_t) d * dv + e] : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    for (int t0 = 0; t0 < tokens; t0 += block) {
        int n = min(block, tokens - t0);
        for (int idx = lid; idx < n * dk; idx += size) {
            int i = idx / dk;
            int d = idx - i * dk;
            size_t row = (size_t) b * tokens + t0 + i;
            qb[idx] = feature(q[(row * heads + h) * dk + d], featureMap);
            kb[idx] = feature(k[(row * kvHeads + kvh) * dk + d], featureMap);
        }
        for (int idx = lid; idx < n * dv; idx += size) {
            int i = idx / dv;
            int c = idx - i * dv;
            vb[idx] = v[(((size_t) b * tokens + t0 + i) * kvHeads + kvh) * dv + c];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int idx = lid; idx < n * n; idx += size) {
            int i = idx / n;
            int j = idx - i * n;
            float s = 0.0f;
            if (j <= i) {
                for (int d = 0; d < dk; d++) {
                    s += qb[i * dk + d] * kb[j * dk + d];
                }
                s *= powers[i - j];
            }
            scores[idx] = s;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (column) {
            for (int i = 0; i < n; i++) {
                float inter = 0.0f;
                for (int d = 0; d < dk; d++) {
                    inter += qb[i * dk + d] * S[d];
                }
                float o = inter * powers[i + 1];
                for (int j = 0; j <= i; j++) {
                    o += scores[i * n + j] * vb[j * dv + e];
                }
                out[(((size_t) b * tokens + t0 + i) * heads + h) * dv + e] = o;
            }
            float carry = powers[n];
            for (int d = 0; d < dk; d++) {
                float s = S[d] * carry;
                for (int j = 0; j < n; j++) {
                    s += powers[n - 1 - j] * kb[j * dk + d] * vb[j * dv + e];
                }
                S[d] = s;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (useState && column) {
        for (int d = 0; d < dk; d++) {
            state[stateOff + (size_t) d * dv + e] = S[d];
        }
    }
}

// Recurrent form, one token per batch entry (q [batch, 1, heads, dk] etc.): work-item (e, h, b)
// updates column e of S <- decay S + phi(k) v^T and writes o[e] = phi(q) . S[:, e].
__kernel void lightning_step(__global const float* q, __global const float* k, __global const float* v,
                             __global float* state, __global float* out, __global const float* decay,
                             int heads, int kvHeads, int dk, int dv, int featureMap) {
    int e = get_global_id(0);
    int h = get_global_id(1);
    int b = get_global_id(2);
    if (e >= dv) {
        return;
    }
    int kvh = h / (heads / kvHeads);
    float lambda = decay[h];
    __global float* S = state + ((size_t) b * heads + h) * dk * dv;
    __global const float* qh = q + ((size_t) b * heads + h) * dk;
    __global const float* kh = k + ((size_t) b * kvHeads + kvh) * dk;
    float ve = v[((size_t) b * kvHeads + kvh) * dv + e];
    float o = 0.0f;
    for (int d = 0; d < dk; d++) {
        float s = S[(size_t) d * dv + e] * lambda + feature(kh[d], featureMap) * ve;
        S[(size_t) d * dv + e] = s;
        o += feature(qh[d], featureMap) * s;
    }
    out[((size_t) b * heads + h) * dv + e] = o;
}
