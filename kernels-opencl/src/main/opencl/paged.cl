// Paged KV cache kernels. The pool holds keys and values of every block as rows:
// kPool, vPool = [blocks * pageSize, kvHeads, headDim] f32 (NHD), block b's slot s at row b * pageSize + s.
//
// A page plan (FlashInfer's vocabulary) lives in one int buffer `plan`, read from the given offsets:
// qoIndptr[batch + 1], indptr[batch + 1], lastPageLen[batch] and indices[...]. Sequence s has query rows
// qoIndptr[s] .. qoIndptr[s+1] and pages indices[indptr[s] .. indptr[s+1]], the last filled to
// lastPageLen[s]. Its queries are its last tokens: query t of n attends to KV entries 0 .. kvLen - n + t.
// q and out are [rows, heads, headDim]; query head h reads KV head h / (heads / kvHeads).

#ifndef MAX_HEAD_DIM
#define MAX_HEAD_DIM 128
#endif

// The pool row of entry `entry` of a sequence whose pages start at plan[pagesOff].
inline int page_row(__global const int* plan, int pagesOff, int pageSize, int entry) {
    return plan[pagesOff + entry / pageSize] * pageSize + entry % pageSize;
}

inline int kv_length(__global const int* plan, int indptrOff, int lastOff, int pageSize, int s) {
    int pages = plan[indptrOff + s + 1] - plan[indptrOff + s];
    return pages == 0 ? 0 : (pages - 1) * pageSize + plan[lastOff + s];
}

// Writes `count` new tokens' keys and values (k, v = [count, kvDim] from srcOff) to the pool rows
// plan[rowsOff + t]. Global (kvDim, count).
__kernel void paged_append(__global const float* k, __global const float* v, int srcOff,
                           __global const int* plan, int rowsOff, int count, int kvDim,
                           __global float* kPool, __global float* vPool) {
    int e = get_global_id(0);
    int t = get_global_id(1);
    if (e >= kvDim || t >= count) {
        return;
    }
    size_t dst = (size_t) plan[rowsOff + t] * kvDim + e;
    size_t src = (size_t) srcOff + (size_t) t * kvDim + e;
    kPool[dst] = k[src];
    vPool[dst] = v[src];
}

// Prefill over pages, flash style: work-group (tile, h, s) takes get_local_size(0) consecutive queries
// of head h of sequence s and walks its keys in tiles of the same size staged in local memory (kTile,
// vTile: tile * headDim floats each), keeping each query's running max, sum and output in private
// memory (online softmax). No score matrix is stored.
__kernel void paged_prefill(__global const float* q, __global const float* kPool, __global const float* vPool,
                            __global float* out, __global const int* plan, int qoOff, int indptrOff, int lastOff,
                            int indicesOff, int pageSize, int heads, int kvHeads, int headDim, float scale,
                            __local float* kTile, __local float* vTile) {
    int lid = get_local_id(0);
    int tile = get_local_size(0);
    int h = get_group_id(1);
    int s = get_group_id(2);
    int firstRow = plan[qoOff + s];
    int queries = plan[qoOff + s + 1] - firstRow;
    int firstQuery = get_group_id(0) * tile;
    if (firstQuery >= queries) {
        return; // the whole work-group: no barrier is skipped by only some items
    }
    int t = firstQuery + lid;
    bool active = t < queries;
    int kvh = h / (heads / kvHeads);
    int kvLen = kv_length(plan, indptrOff, lastOff, pageSize, s);
    int pagesOff = indicesOff + plan[indptrOff + s];
    size_t kvStride = (size_t) kvHeads * headDim;

    float qv[MAX_HEAD_DIM];
    float acc[MAX_HEAD_DIM];
    if (active) {
        __global const float* qt = q + ((size_t) (firstRow + t) * heads + h) * headDim;
        for (int d = 0; d < headDim; d++) {
            qv[d] = qt[d] * scale;
            acc[d] = 0.0f;
        }
    }
    float m = -INFINITY;
    float l = 0.0f;
    int past = kvLen - queries;
    int myEnd = past + t + 1;                                          // exclusive
    int groupEnd = past + min(firstQuery + tile, queries);            // exclusive

    for (int k0 = 0; k0 < groupEnd; k0 += tile) {
        int n = min(tile, groupEnd - k0);
        for (int e = lid; e < n * headDim; e += tile) {
            int j = e / headDim;
            int d = e - j * headDim;
            size_t src = (size_t) page_row(plan, pagesOff, pageSize, k0 + j) * kvStride + (size_t) kvh * headDim + d;
            kTile[e] = kPool[src];
            vTile[e] = vPool[src];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (active) {
            int jEnd = min(n, myEnd - k0);
            for (int j = 0; j < jEnd; j++) {
                __local const float* kj = kTile + j * headDim;
                __local const float* vj = vTile + j * headDim;
                float sc = 0.0f;
                for (int d = 0; d < headDim; d++) {
                    sc += qv[d] * kj[d];
                }
                if (sc > m) {
                    // A new running max: rescale what was accumulated under the old one.
                    float correction = exp(m - sc);
                    l *= correction;
                    for (int d = 0; d < headDim; d++) {
                        acc[d] *= correction;
                    }
                    m = sc;
                }
                float p = exp(sc - m);
                l += p;
                for (int d = 0; d < headDim; d++) {
                    acc[d] += p * vj[d];
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (active) {
        __global float* o = out + ((size_t) (firstRow + t) * heads + h) * headDim;
        float inv = 1.0f / l;
        for (int d = 0; d < headDim; d++) {
            o[d] = acc[d] * inv;
        }
    }
}

// Split-KV decode, pass 1: one query row per sequence (row s of q). Work-group (h, split, s) takes the
// pages [split * pagesPerSplit, (split + 1) * pagesPerSplit) of sequence s for head h and writes
// partial[((s * heads + h) * numSplits + split) * (headDim + 2) ..] = (max, sum of exp, unnormalised
// output); an empty split writes (-inf, 0, 0...). Local memory: qLocal[headDim], scores[chunk],
// rows[chunk] (chunk = pagesPerSplit * pageSize), reduce[work-group size]; power-of-two work-groups.
// Pass 2 is decode_combine of attention.cl over batch * heads rows.
__kernel void paged_decode_partial(__global const float* q, __global const float* kPool, __global const float* vPool,
                                   __global float* partial, __global const int* plan, int indptrOff, int lastOff,
                                   int indicesOff, int pageSize, int pagesPerSplit, int heads, int kvHeads,
                                   int headDim, float scale, __local float* qLocal, __local float* scores,
                                   __local int* rows, __local float* reduce) {
    int h = get_group_id(0);
    int split = get_group_id(1);
    int numSplits = get_num_groups(1);
    int s = get_group_id(2);
    int lid = get_local_id(0);
    int n = get_local_size(0);
    int kvh = h / (heads / kvHeads);
    size_t kvStride = (size_t) kvHeads * headDim;
    int kvLen = kv_length(plan, indptrOff, lastOff, pageSize, s);
    int pagesOff = indicesOff + plan[indptrOff + s];
    int chunk = pagesPerSplit * pageSize;
    int start = split * chunk;
    int count = min(kvLen - start, chunk);

    for (int d = lid; d < headDim; d += n) {
        qLocal[d] = q[((size_t) s * heads + h) * headDim + d] * scale;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    float mx = -INFINITY;
    for (int j = lid; j < count; j += n) {
        int row = page_row(plan, pagesOff, pageSize, start + j);
        rows[j] = row;
        __global const float* kj = kPool + (size_t) row * kvStride + (size_t) kvh * headDim;
        float sc = 0.0f;
        for (int d = 0; d < headDim; d++) {
            sc += qLocal[d] * kj[d];
        }
        scores[j] = sc;
        mx = fmax(mx, sc);
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

    __global float* dst = partial + (((size_t) s * heads + h) * numSplits + split) * (headDim + 2);
    for (int d = lid; d < headDim; d += n) {
        float a = 0.0f;
        for (int j = 0; j < count; j++) {
            a += scores[j] * vPool[(size_t) rows[j] * kvStride + (size_t) kvh * headDim + d];
        }
        dst[2 + d] = a;
    }
    if (lid == 0) {
        dst[0] = m;
        dst[1] = reduce[0];
    }
}

// Observation scores, pass 1: the softmax statistics of each window query. window = [w, heads,
// headDim]; query i sees entries 0 .. n - w + i of the sequence whose pages start at plan[pagesOff].
// Work-group (h, i) writes stats[(i * heads + h) * 2 ..] = (max, sum of exp) of its scaled scores,
// each work-item keeping an online (max, sum) over its share of the entries, then merging them
// pairwise. Local memory: qLocal[headDim], maxes[group], sums[group]; power-of-two work-groups.
__kernel void observation_stats(__global const float* window, __global const float* kPool, __global const int* plan,
                                int pagesOff, int pageSize, int n, int w, int heads, int kvHeads, int headDim,
                                float scale, __global float* stats, __local float* qLocal, __local float* maxes,
                                __local float* sums) {
    int h = get_group_id(0);
    int i = get_group_id(1);
    int lid = get_local_id(0);
    int size = get_local_size(0);
    int kvh = h / (heads / kvHeads);
    size_t kvStride = (size_t) kvHeads * headDim;
    int visible = n - w + i + 1;
    for (int d = lid; d < headDim; d += size) {
        qLocal[d] = window[((size_t) i * heads + h) * headDim + d];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    float m = -INFINITY;
    float l = 0.0f;
    for (int p = lid; p < visible; p += size) {
        __global const float* kp = kPool + (size_t) page_row(plan, pagesOff, pageSize, p) * kvStride
                + (size_t) kvh * headDim;
        float sc = 0.0f;
        for (int d = 0; d < headDim; d++) {
            sc += qLocal[d] * kp[d];
        }
        sc *= scale;
        if (sc > m) {
            l = l * exp(m - sc) + 1.0f;
            m = sc;
        } else {
            l += exp(sc - m);
        }
    }
    maxes[lid] = m;
    sums[lid] = l;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = size / 2; stride > 0; stride >>= 1) {
        if (lid < stride && sums[lid + stride] > 0.0f) {
            float m1 = maxes[lid];
            float m2 = maxes[lid + stride];
            float mm = fmax(m1, m2);
            float l1 = sums[lid] > 0.0f ? sums[lid] * exp(m1 - mm) : 0.0f;
            maxes[lid] = mm;
            sums[lid] = l1 + sums[lid + stride] * exp(m2 - mm);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        stats[((size_t) i * heads + h) * 2] = maxes[0];
        stats[((size_t) i * heads + h) * 2 + 1] = sums[0];
    }
}

// Observation scores, pass 2: scores[g * n + p] = sum over window queries i that see entry p and over
// the query heads h of KV head g of softmax_i,h(p), recomputing each score from the window and the key
// (so nothing of size w x n is ever stored). Global (n, kvHeads).
__kernel void observation_scores(__global const float* window, __global const float* kPool, __global const int* plan,
                                 int pagesOff, int pageSize, int n, int w, int heads, int kvHeads, int headDim,
                                 float scale, __global const float* stats, __global float* scores) {
    int p = get_global_id(0);
    int g = get_global_id(1);
    if (p >= n || g >= kvHeads) {
        return;
    }
    int group = heads / kvHeads;
    __global const float* kp = kPool + (size_t) page_row(plan, pagesOff, pageSize, p) * kvHeads * headDim
            + (size_t) g * headDim;
    float total = 0.0f;
    for (int i = max(0, p - (n - w)); i < w; i++) {
        for (int h = g * group; h < (g + 1) * group; h++) {
            __global const float* qi = window + ((size_t) i * heads + h) * headDim;
            float sc = 0.0f;
            for (int d = 0; d < headDim; d++) {
                sc += qi[d] * kp[d];
            }
            size_t at = ((size_t) i * heads + h) * 2;
            total += exp(sc * scale - stats[at]) / stats[at + 1];
        }
    }
    scores[(size_t) g * n + p] = total;
}

// Compaction, pass 1: scratch[i, :] = head heads[i] of pool row srcRows[i] for i < count (keys and
// values). Copying every source out before pass 2 writes any destination makes overlapping moves safe.
// Global (headDim, count).
__kernel void kv_gather_heads(__global const float* kPool, __global const float* vPool, __global const int* moves,
                              int count, int kvHeads, int headDim, __global float* kScratch,
                              __global float* vScratch) {
    int d = get_global_id(0);
    int i = get_global_id(1);
    if (d >= headDim || i >= count) {
        return;
    }
    // moves = [srcRows[count], dstRows[count], heads[count]]
    size_t src = ((size_t) moves[i] * kvHeads + moves[2 * count + i]) * headDim + d;
    kScratch[(size_t) i * headDim + d] = kPool[src];
    vScratch[(size_t) i * headDim + d] = vPool[src];
}

// Compaction, pass 2: head heads[i] of pool row dstRows[i] = scratch[i, :]. Global (headDim, count).
__kernel void kv_scatter_heads(__global const float* kScratch, __global const float* vScratch,
                               __global const int* moves, int count, int kvHeads, int headDim,
                               __global float* kPool, __global float* vPool) {
    int d = get_global_id(0);
    int i = get_global_id(1);
    if (d >= headDim || i >= count) {
        return;
    }
    size_t dst = ((size_t) moves[count + i] * kvHeads + moves[2 * count + i]) * headDim + d;
    kPool[dst] = kScratch[(size_t) i * headDim + d];
    vPool[dst] = vScratch[(size_t) i * headDim + d];
}
