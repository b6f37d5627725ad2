// Prefill attention, FlashAttention-2 style: each block owns 64 queries of one head and streams
// 64-key tiles of K and V through shared memory (cp.async), computing S = Q K^T and O += P V with
// mma.sync and an online softmax in registers; no [queries, keys] matrix is ever stored.
//
// Packed variable-length batch (sequence b: rows cu_q[b] .. cu_q[b+1] of q/out, cu_k[b] .. cu_k[b+1] of k/v):
//   q, out: T [total_q, num_heads, D]      k, v: T [total_k, num_kv_heads, D]
//   lse:    fp32 [total_q, num_heads], natural log of sum_j exp(scale * q.k_j) (nullptr to skip)
// Query head h reads kv head h / (num_heads / num_kv_heads) (GQA, MQA). Causal masking is aligned to the
// end: query i of a sequence sees keys j <= i + (k_len - q_len), so a chunk of new tokens after a KV
// cache attends to the cache and causally to itself.
#include "common.cuh"

namespace flashj {

constexpr int FA_BM = 64;  // queries per block: 4 warps x 16 rows
constexpr int FA_BN = 64;  // keys per tile
constexpr int FA_THREADS = 128;
constexpr float LOG2E = 1.4426950408889634f;
constexpr float LN2 = 0.6931471805599453f;

// Rows [row0, row0 + 64) of a [rows, heads, D] tensor (base already at the head) into tile, zero past limit.
template <typename T, int D>
__device__ __forceinline__ void fa_load_rows(T (*tile)[D + 8], const T* base, long row_stride, int row0, int limit) {
    constexpr int CHUNKS = D / 8;
    for (int c = threadIdx.x; c < FA_BN * CHUNKS; c += FA_THREADS) {
        int row = c / CHUNKS;
        int col = (c % CHUNKS) * 8;
        bool inside = row0 + row < limit;
        const T* src = inside ? base + (row0 + row) * row_stride + col : base;
        cp_async_16(&tile[row][col], src, inside ? 16 : 0);
    }
}

// grid (ceil(max_q_len / 64), num_heads, num_seqs), block 128. D is 64 or 128.
template <typename T, int D>
__device__ void flash_attention_mma(const T* q, const T* k, const T* v, T* out, float* lse, const int* cu_q,
                                    const int* cu_k, int num_heads, int num_kv_heads, float scale, int causal) {
    constexpr int LD = D + 8;
    __shared__ __align__(16) T k_tile[FA_BN][LD];
    __shared__ __align__(16) T v_tile[FA_BN][LD];
    int seq = blockIdx.z;
    int head = blockIdx.y;
    int q_start = cu_q[seq];
    int q_len = cu_q[seq + 1] - q_start;
    int k_start = cu_k[seq];
    int k_len = cu_k[seq + 1] - k_start;
    int m0 = blockIdx.x * FA_BM;
    if (m0 >= q_len) return;
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int kv_head = head / (num_heads / num_kv_heads);
    long q_stride = static_cast<long>(num_heads) * D;
    long kv_stride = static_cast<long>(num_kv_heads) * D;
    const T* q_base = q + q_start * q_stride + static_cast<long>(head) * D;
    const T* k_base = k + k_start * kv_stride + static_cast<long>(kv_head) * D;
    const T* v_base = v + k_start * kv_stride + static_cast<long>(kv_head) * D;
    int diagonal = k_len - q_len;

    // Q fragments stay in registers for the whole block; the K tile's memory stages them.
    fa_load_rows<T, D>(k_tile, q_base, q_stride, m0, q_len);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();
    uint32_t q_frag[D / 16][4];
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
        ldmatrix_x4(q_frag[kk], &k_tile[warp * 16 + (lane & 15)][kk * 16 + (lane >> 4) * 8]);
    }
    __syncthreads();

    int key_end = causal ? min(k_len, m0 + FA_BM + diagonal) : k_len;
    int tiles = key_end > 0 ? (key_end + FA_BN - 1) / FA_BN : 0;
    float scale_log2 = scale * LOG2E;
    float o[D / 8][4];
#pragma unroll
    for (int d = 0; d < D / 8; ++d)
#pragma unroll
        for (int c = 0; c < 4; ++c) o[d][c] = 0.0f;
    float row_max[2] = {-INFINITY, -INFINITY};
    float row_sum[2] = {0.0f, 0.0f};
    int my_row[2] = {m0 + warp * 16 + (lane >> 2), m0 + warp * 16 + (lane >> 2) + 8};

    if (tiles > 0) {
        fa_load_rows<T, D>(k_tile, k_base, kv_stride, 0, k_len);
        cp_async_commit();
    }
    for (int t = 0; t < tiles; ++t) {
        int n0 = t * FA_BN;
        cp_async_wait<0>();
        __syncthreads();  // K(t) landed, and every warp is done with V(t - 1)
        fa_load_rows<T, D>(v_tile, v_base, kv_stride, n0, k_len);
        cp_async_commit();

        float s[FA_BN / 8][4];
#pragma unroll
        for (int j = 0; j < FA_BN / 8; ++j)
#pragma unroll
            for (int c = 0; c < 4; ++c) s[j][c] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < D / 16; ++kk) {
#pragma unroll
            for (int j = 0; j < FA_BN / 16; ++j) {
                uint32_t b[4];
                ldmatrix_x4(b, &k_tile[j * 16 + (lane >> 4) * 8 + (lane & 7)][kk * 16 + ((lane >> 3) & 1) * 8]);
                Mma<T>::run(s[2 * j], q_frag[kk], b[0], b[1]);
                Mma<T>::run(s[2 * j + 1], q_frag[kk], b[2], b[3]);
            }
        }

        // Scale into the log2 domain, mask, and fold the tile into the running max and sum.
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            float tile_max = -INFINITY;
#pragma unroll
            for (int j = 0; j < FA_BN / 8; ++j)
#pragma unroll
                for (int c = 2 * r; c < 2 * r + 2; ++c) {
                    int key = n0 + j * 8 + (lane & 3) * 2 + (c & 1);
                    bool masked = key >= k_len || (causal && key > my_row[r] + diagonal);
                    s[j][c] = masked ? -INFINITY : s[j][c] * scale_log2;
                    tile_max = fmaxf(tile_max, s[j][c]);
                }
            tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
            tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
            float new_max = fmaxf(row_max[r], tile_max);
            float base = new_max == -INFINITY ? 0.0f : new_max;  // a row with no key yet stays at zero
            float correction = exp2f(row_max[r] - base);
            row_max[r] = new_max;
            float sum = 0.0f;
#pragma unroll
            for (int j = 0; j < FA_BN / 8; ++j)
#pragma unroll
                for (int c = 2 * r; c < 2 * r + 2; ++c) {
                    s[j][c] = exp2f(s[j][c] - base);
                    sum += s[j][c];
                }
            row_sum[r] = row_sum[r] * correction + sum;
#pragma unroll
            for (int d = 0; d < D / 8; ++d) {
                o[d][2 * r] *= correction;
                o[d][2 * r + 1] *= correction;
            }
        }

        cp_async_wait<0>();
        __syncthreads();  // V(t) landed, and every warp is done with K(t)
        if (t + 1 < tiles) {
            fa_load_rows<T, D>(k_tile, k_base, kv_stride, n0 + FA_BN, k_len);
            cp_async_commit();
        }
        // The S accumulators of two adjacent 8-key tiles are exactly the A fragment of P for 16 keys.
#pragma unroll
        for (int kk = 0; kk < FA_BN / 16; ++kk) {
            uint32_t p[4] = {Storage<T>::pack(s[2 * kk][0], s[2 * kk][1]), Storage<T>::pack(s[2 * kk][2], s[2 * kk][3]),
                             Storage<T>::pack(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                             Storage<T>::pack(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
            for (int dj = 0; dj < D / 16; ++dj) {
                uint32_t b[4];
                ldmatrix_x4_trans(b, &v_tile[kk * 16 + ((lane >> 3) & 1) * 8 + (lane & 7)][dj * 16 + (lane >> 4) * 8]);
                Mma<T>::run(o[2 * dj], p, b[0], b[1]);
                Mma<T>::run(o[2 * dj + 1], p, b[2], b[3]);
            }
        }
    }

#pragma unroll
    for (int r = 0; r < 2; ++r) {
        float l = row_sum[r];
        l += __shfl_xor_sync(0xffffffffu, l, 1);
        l += __shfl_xor_sync(0xffffffffu, l, 2);
        if (my_row[r] >= q_len) continue;
        float inverse = l > 0.0f ? 1.0f / l : 0.0f;
        T* out_row = out + (q_start + my_row[r]) * q_stride + static_cast<long>(head) * D;
#pragma unroll
        for (int d = 0; d < D / 8; ++d) {
            int col = d * 8 + (lane & 3) * 2;
            out_row[col] = from_float<T>(o[d][2 * r] * inverse);
            out_row[col + 1] = from_float<T>(o[d][2 * r + 1] * inverse);
        }
        if (lse != nullptr && (lane & 3) == 0) {
            lse[static_cast<long>(q_start + my_row[r]) * num_heads + head] =
                l > 0.0f ? (row_max[r] + log2f(l)) * LN2 : -INFINITY;
        }
    }
}

constexpr int FA_GENERIC_MAX_D = 256;
constexpr int FA_GENERIC_WARPS = 4;

// Any head_dim up to 256: one warp per (query, head), lane i holding dims i, i + 32, ...
// grid (ceil(total_q / 4), num_heads), block 128.
template <typename T>
__device__ void flash_attention_generic(const T* q, const T* k, const T* v, T* out, float* lse, const int* cu_q,
                                        const int* cu_k, int num_seqs, int total_q, int num_heads, int num_kv_heads,
                                        int head_dim, float scale, int causal) {
    constexpr int PER_LANE = FA_GENERIC_MAX_D / 32;
    int lane = threadIdx.x & 31;
    int row = blockIdx.x * FA_GENERIC_WARPS + (threadIdx.x >> 5);
    int head = blockIdx.y;
    if (row >= total_q) return;
    int seq = 0;
    while (seq + 1 < num_seqs && cu_q[seq + 1] <= row) ++seq;
    int q_len = cu_q[seq + 1] - cu_q[seq];
    int k_start = cu_k[seq];
    int k_len = cu_k[seq + 1] - k_start;
    int i = row - cu_q[seq];
    int key_end = causal ? min(k_len, i + 1 + k_len - q_len) : k_len;
    int kv_head = head / (num_heads / num_kv_heads);
    long q_stride = static_cast<long>(num_heads) * head_dim;
    long kv_stride = static_cast<long>(num_kv_heads) * head_dim;
    const T* q_row = q + row * q_stride + static_cast<long>(head) * head_dim;
    float qv[PER_LANE];
    float o[PER_LANE];
#pragma unroll
    for (int p = 0; p < PER_LANE; ++p) {
        int d = lane + 32 * p;
        qv[p] = d < head_dim ? to_float(q_row[d]) * scale * LOG2E : 0.0f;
        o[p] = 0.0f;
    }
    float m = -INFINITY;
    float l = 0.0f;
    for (int j = 0; j < key_end; ++j) {
        const T* k_row = k + (k_start + j) * kv_stride + static_cast<long>(kv_head) * head_dim;
        const T* v_row = v + (k_start + j) * kv_stride + static_cast<long>(kv_head) * head_dim;
        float dot = 0.0f;
#pragma unroll
        for (int p = 0; p < PER_LANE; ++p) {
            int d = lane + 32 * p;
            if (d < head_dim) dot += qv[p] * to_float(k_row[d]);
        }
        dot = warp_sum(dot);
        float new_max = fmaxf(m, dot);
        float correction = exp2f(m - new_max);
        float weight = exp2f(dot - new_max);
        l = l * correction + weight;
#pragma unroll
        for (int p = 0; p < PER_LANE; ++p) {
            int d = lane + 32 * p;
            o[p] = o[p] * correction + (d < head_dim ? weight * to_float(v_row[d]) : 0.0f);
        }
        m = new_max;
    }
    T* out_row = out + row * q_stride + static_cast<long>(head) * head_dim;
    float inverse = l > 0.0f ? 1.0f / l : 0.0f;
#pragma unroll
    for (int p = 0; p < PER_LANE; ++p) {
        int d = lane + 32 * p;
        if (d < head_dim) out_row[d] = from_float<T>(o[p] * inverse);
    }
    if (lse != nullptr && lane == 0) lse[static_cast<long>(row) * num_heads + head] = l > 0.0f ? (m + log2f(l)) * LN2 : -INFINITY;
}

}  // namespace flashj

#define FLASHJ_FLASH_ATTENTION(SUFFIX, T)                                                                          \
    extern "C" __global__ void __launch_bounds__(flashj::FA_THREADS) flash_attention_d64_##SUFFIX(                 \
        const T* q, const T* k, const T* v, T* out, float* lse, const int* cu_q, const int* cu_k, int num_heads,    \
        int num_kv_heads, float scale, int causal) {                                                               \
        flashj::flash_attention_mma<T, 64>(q, k, v, out, lse, cu_q, cu_k, num_heads, num_kv_heads, scale, causal);  \
    }                                                                                                              \
    extern "C" __global__ void __launch_bounds__(flashj::FA_THREADS) flash_attention_d128_##SUFFIX(                \
        const T* q, const T* k, const T* v, T* out, float* lse, const int* cu_q, const int* cu_k, int num_heads,    \
        int num_kv_heads, float scale, int causal) {                                                               \
        flashj::flash_attention_mma<T, 128>(q, k, v, out, lse, cu_q, cu_k, num_heads, num_kv_heads, scale, causal); \
    }                                                                                                              \
    extern "C" __global__ void flash_attention_generic_##SUFFIX(                                                   \
        const T* q, const T* k, const T* v, T* out, float* lse, const int* cu_q, const int* cu_k, int num_seqs,     \
        int total_q, int num_heads, int num_kv_heads, int head_dim, float scale, int causal) {                     \
        flashj::flash_attention_generic<T>(q, k, v, out, lse, cu_q, cu_k, num_seqs, total_q, num_heads,            \
                                           num_kv_heads, head_dim, scale, causal);                                 \
    }

FLASHJ_FOR_STORAGE(FLASHJ_FLASH_ATTENTION)
