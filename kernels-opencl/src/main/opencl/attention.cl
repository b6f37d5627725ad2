// Attention over a KV cache, never materialising the tokens x keys score matrix.
//
// Layouts: q and out are [tokens, heads, headDim]; k and v are one layer's cache
// [maxTokens, kvHeads, headDim]. Query head h reads KV head h / (heads / kvHeads) (GQA; MQA when
// kvHeads == 1). Query t sits at position startPos + t; keys 0 .. kvLen-1 exist. Causal: query t
// sees keys 0 .. startPos + t; otherwise all kvLen keys. Scores are scaled by `scale` (1/sqrt(headDim)).

#ifndef MAX_HEAD_DIM
#define MAX_HEAD_DIM 128
#endif

// Flash-style prefill: a work-group takes get_local_size(0) consecutive queries of one head
// (group id 1) and walks the keys in tiles of the same size staged in local memory (kTile, vTile:
// tile * headDim floats each). Each work-item keeps its query's running max, sum and output
// accumulator (online softmax) in private memory, so no score matrix is ever stored.
__kernel void flash_attention(__global const float* q, int qOff, __global const float* k, __global const float* v,
                              __global float* out, int outOff, int tokens, int heads, int kvHeads, int headDim,
                              int kvLen, int startPos, int causal, float scale,
                              __local float* kTile, __local float* vTile) {
    int lid = get_local_id(0);
    int tile = get_local_size(0);
    int firstQuery = get_group_id(0) * tile;
    int t = firstQuery + lid;
    int h = get_group_id(1);
    int kvh = h / (heads / kvHeads);
    bool active = t < tokens;
    size_t kvStride = (size_t) kvHeads * headDim;

    float qv[MAX_HEAD_DIM];
    float acc[MAX_HEAD_DIM];
    if (active) {
        __global const float* qt = q + qOff + ((size_t) t * heads + h) * headDim;
        for (int d = 0; d < headDim; d++) {
            qv[d] = qt[d] * scale;
            acc[d] = 0.0f;
        }
    }
    float m = -INFINITY;
    float l = 0.0f;
    int myEnd = causal ? min(startPos + t + 1, kvLen) : kvLen;                 // exclusive
    int lastQuery = min(firstQuery + tile, tokens) - 1;
    int groupEnd = causal ? min(startPos + lastQuery + 1, kvLen) : kvLen;     // exclusive

    for (int k0 = 0; k0 < groupEnd; k0 += tile) {
        int n = min(tile, groupEnd - k0);
        for (int e = lid; e < n * headDim; e += tile) {
            int j = e / headDim;
            int d = e - j * headDim;
            size_t src = (size_t) (k0 + j) * kvStride + (size_t) kvh * headDim + d;
            kTile[e] = k[src];
            vTile[e] = v[src];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (active) {
            int jEnd = min(n, myEnd - k0);
            for (int j = 0; j < jEnd; j++) {
                __local const float* kj = kTile + j * headDim;
                __local const float* vj = vTile + j * headDim;
                float s = 0.0f;
                for (int d = 0; d < headDim; d++) {
                    s += qv[d] * kj[d];
                }
                if (s > m) {
                    // New running max: rescale what was accumulated under the old one.
                    float correction = exp(m - s);
                    l *= correction;
                    for (int d = 0; d < headDim; d++) {
                        acc[d] *= correction;
                    }
                    m = s;
                }
                float p = exp(s - m);
                l += p;
                for (int d = 0; d < headDim; d++) {
                    acc[d] += p * vj[d];
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (active) {
        __global float* o = out + outOff + ((size_t) t * heads + h) * headDim;
        float inv = 1.0f / l;
        for (int d = 0; d < headDim; d++) {
            o[d] = acc[d] * inv;
        }
    }
}

// Split-KV decode, pass 1: one query token (q = [heads, headDim] at qOff) that sees keys
// 0 .. kvLen-1. Work-group (h, c) takes keys [c * chunk, min(kvLen, (c + 1) * chunk)) of head h and
// writes partial[(h * numChunks + c) * (headDim + 2) + ...] = (max, sum of exp, unnormalised output).
// Local memory: qLocal[headDim], scores[chunk], reduce[work-group size]; power-of-two work-group size.
__kernel void decode_partial(__global const float* q, int qOff, __global const float* k, __global const float* v,
                             __global float* partial, int heads, int kvHeads, int headDim, int kvLen, int chunk,
                             float scale, __local float* qLocal, __local float* scores, __local float* reduce) {
    int h = get_group_id(0);
    int c = get_group_id(1);
    int numChunks = get_num_groups(1);
    int lid = get_local_id(0);
    int n = get_local_size(0);
    int kvh = h / (heads / kvHeads);
    size_t kvStride = (size_t) kvHeads * headDim;
    int start = c * chunk;
    int count = min(kvLen - start, chunk);

    for (int d = lid; d < headDim; d += n) {
        qLocal[d] = q[qOff + (size_t) h * headDim + d] * scale;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    float mx = -INFINITY;
    for (int j = lid; j < count; j += n) {
        __global const float* kj = k + (size_t) (start + j) * kvStride + (size_t) kvh * headDim;
        float s = 0.0f;
        for (int d = 0; d < headDim; d++) {
            s += qLocal[d] * kj[d];
        }
        scores[j] = s;
        mx = fmax(mx, s);
    }
    reduce[lid] = mx;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = n / 2; stride > 0; stride >>= 1) {
        if (lid < stride) {
            reduce[lid] = fmax(reduce[lid], reduce[lid + stride]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float m = reduce[0];
    barrier(CLK_LOCAL_MEM_FENCE);

    float sum = 0.0f;
    for (int j = lid; j < count; j += n) {
        float p = exp(scores[j] - m);
        scores[j] = p;
        sum += p;
    }
    reduce[lid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = n / 2; stride > 0; stride >>= 1) {
        if (lid < stride) {
            reduce[lid] += reduce[lid + stride];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    __global float* dst = partial + ((size_t) h * numChunks + c) * (headDim + 2);
    for (int d = lid; d < headDim; d += n) {
        float a = 0.0f;
        for (int j = 0; j < count; j++) {
            a += scores[j] * v[(size_t) (start + j) * kvStride + (size_t) kvh * headDim + d];
        }
        dst[2 + d] = a;
    }
    if (lid == 0) {
        dst[0] = m;
        dst[1] = reduce[0];
    }
}

// Split-KV decode, pass 2: out[outOff + h * headDim + d] combines the numChunks partials of head h,
// rescaling each to the global max. Empty chunks (sum 0) are skipped.
__kernel void decode_combine(__global const float* partial, __global float* out, int outOff, int heads,
                             int headDim, int numChunks) {
    int d = get_global_id(0);
    int h = get_global_id(1);
    if (d >= headDim || h >= heads) {
        return;
    }
    __global const float* p = partial + (size_t) h * numChunks * (headDim + 2);
    float globalMax = -INFINITY;
    for (int c = 0; c < numChunks; c++) {
        if (p[c * (headDim + 2) + 1] > 0.0f) {
            globalMax = fmax(globalMax, p[c * (headDim + 2)]);
        }
    }
    float total = 0.0f;
    float a = 0.0f;
    for (int c = 0; c < numChunks; c++) {
        __global const float* pc = p + c * (headDim + 2);
        if (pc[1] > 0.0f) {
            float w = exp(pc[0] - globalMax);
            total += pc[1] * w;
            a += pc[2 + d] * w;
        }
    }
    out[outOff + (size_t) h * headDim + d] = a / total;
}
