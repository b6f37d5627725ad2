// Fused neighborhood attention (NATTEN semantics) over three spatial axes (1D and 2D inputs pad
// the outer axes with size 1, kernel 1, dilation 1). Layouts: q, out [batch, s0, s1, s2, heads, hd],
// k, v [batch, s0, s1, s2, kvHeads, hd]; query head h reads KV head h / (heads / kvHeads).
//
// Along an axis of size L with dilation d, positions split into d groups (p mod d); in group
// coordinates (p / d) a group has Lg = ceil((L - g) / d) positions and the window of group
// coordinate i is [clamp(i - k/2, 0, Lg - k), + k - 1] (non-causal) or [max(i - k + 1, 0), i] (causal).
//
// A work-group takes a tile t0 x t1 x t2 of queries of ONE dilation group per axis (consecutive in
// group coordinates), so the keys their windows need form one box of that group's lattice. It walks
// that box in chunks of `chunk` keys staged in local memory; each work-item keeps its query's
// running max, sum and output (online softmax) privately and scores only the keys inside its own
// window. No score matrix is stored.

#ifndef MAX_HEAD_DIM
#define MAX_HEAD_DIM 64
#endif

inline int window_start(int i, int groupLength, int window, int causal) {
    return causal ? max(i - window + 1, 0) : clamp(i - window / 2, 0, groupLength - window);
}

inline int window_end(int i, int groupLength, int window, int causal) {
    return causal ? i : window_start(i, groupLength, window, causal) + window - 1;
}

__kernel void neighborhood_attention(__global const float* q, __global const float* k, __global const float* v,
                                     __global float* out, int heads, int kvHeads, int headDim, float scale,
                                     int s0, int s1, int s2, int k0, int k1, int k2, int d0, int d1, int d2,
                                     int c0_, int c1_, int c2_, int t0, int t1, int t2, int n0, int n1, int n2,
                                     int chunk, __local float* kTile, __local float* vTile) {
    // Per-axis parameters as vectors: sizes, kernel sizes, dilations, causal flags, tile sizes, tiles per group.
    int4 size = (int4)(s0, s1, s2, 0);
    int4 span = (int4)(k0, k1, k2, 0);
    int4 dilation = (int4)(d0, d1, d2, 0);
    int4 causal = (int4)(c0_, c1_, c2_, 0);
    int4 tile = (int4)(t0, t1, t2, 0);
    int4 tiles = (int4)(n0, n1, n2, 0);
    int lid = get_local_id(0);
    int threads = get_local_size(0);
    int h = get_group_id(1);
    int b = get_group_id(2);
    int kvh = h / (heads / kvHeads);
    int tokens = size.x * size.y * size.z;

    // Which tile of which dilation group, per axis (innermost axis z fastest).
    int gid = get_group_id(0);
    int tz = gid % tiles.z; gid /= tiles.z;
    int gz = gid % dilation.z; gid /= dilation.z;
    int ty = gid % tiles.y; gid /= tiles.y;
    int gy = gid % dilation.y; gid /= dilation.y;
    int tx = gid % tiles.x; gid /= tiles.x;
    int gx = gid;
    int3 grp = (int3)(gx, gy, gz);
    int3 len = (int3)((size.x - gx + dilation.x - 1) / dilation.x, (size.y - gy + dilation.y - 1) / dilation.y,
                      (size.z - gz + dilation.z - 1) / dilation.z);
    int3 first = (int3)(tx * tile.x, ty * tile.y, tz * tile.z);
    int3 last = min(first + (int3)(tile.x, tile.y, tile.z), len) - 1;

    // This work-item's query, in group coordinates.
    int3 me = first + (int3)(lid / (tile.y * tile.z), (lid / tile.z) % tile.y, lid % tile.z);
    bool active = lid < tile.x * tile.y * tile.z && all(me < len);

    // The box of keys every window of the tile lies in (uniform across the work-group).
    int3 lo = (int3)(window_start(first.x, len.x, span.x, causal.x), window_start(first.y, len.y, span.y, causal.y),
                     window_start(first.z, len.z, span.z, causal.z));
    int3 hi = (int3)(window_end(last.x, len.x, span.x, causal.x), window_end(last.y, len.y, span.y, causal.y),
                     window_end(last.z, len.z, span.z, causal.z));
    int3 box = max(hi - lo + 1, 0);
    int boxKeys = all(first < len) ? box.x * box.y * box.z : 0;

    int3 myLo = (int3)(window_start(me.x, len.x, span.x, causal.x), window_start(me.y, len.y, span.y, causal.y),
                       window_start(me.z, len.z, span.z, causal.z));
    int3 myHi = (int3)(window_end(me.x, len.x, span.x, causal.x), window_end(me.y, len.y, span.y, causal.y),
                       window_end(me.z, len.z, span.z, causal.z));

    size_t myToken = 0;
    float qv[MAX_HEAD_DIM];
    float acc[MAX_HEAD_DIM];
    if (active) {
        int3 p = grp + me * (int3)(dilation.x, dilation.y, dilation.z);
        myToken = ((size_t) p.x * size.y + p.y) * size.z + p.z;
        __global const float* qt = q + (((size_t) b * tokens + myToken) * heads + h) * headDim;
        for (int d = 0; d < headDim; d++) {
            qv[d] = qt[d] * scale;
            acc[d] = 0.0f;
        }
    }
    float m = -INFINITY;
    float l = 0.0f;

    for (int c0 = 0; c0 < boxKeys; c0 += chunk) {
        int n = min(chunk, boxKeys - c0);
        for (int e = lid; e < n * headDim; e += threads) {
            int j = e / headDim;
            int d = e - j * headDim;
            int r = c0 + j;
            int3 g = lo + (int3)(r / (box.y * box.z), (r / box.z) % box.y, r % box.z);
            int3 p = grp + g * (int3)(dilation.x, dilation.y, dilation.z);
            size_t key = ((size_t) p.x * size.y + p.y) * size.z + p.z;
            size_t src = (((size_t) b * tokens + key) * kvHeads + kvh) * headDim + d;
            kTile[e] = k[src];
            vTile[e] = v[src];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (active) {
            for (int j = 0; j < n; j++) {
                int r = c0 + j;
                int3 g = lo + (int3)(r / (box.y * box.z), (r / box.z) % box.y, r % box.z);
                if (any(g < myLo) || any(g > myHi)) {
                    continue;
                }
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
        __global float* o = out + (((size_t) b * tokens + myToken) * heads + h) * headDim;
        float inv = 1.0f / l;
        for (int d = 0; d < headDim; d++) {
            o[d] = acc[d] * inv;
        }
    }
}
