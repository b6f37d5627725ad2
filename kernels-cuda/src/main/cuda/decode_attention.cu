// Decode attention (one new query per head) over a contiguous KV cache, split-KV ("flash-decoding"):
// the keys are cut into chunks, one block per (head, chunk) computes a partial softmax-weighted sum,
// and a combine kernel merges the chunks by their log-sum-exp. Long caches thus fill the GPU even
// though there is only one query.
//   q:   T [num_heads, D]                  k, v: T [kv_len, num_kv_heads, D] (rows of num_kv_heads * D)
//   partial_out: fp32 [num_heads, stride, D]  partial_lse: fp32 [num_heads, stride] (log2 units), stride >= splits
//   out: T [num_heads, D]                  lse:  fp32 [num_heads] natural log (nullptr to skip)
// Two launch forms share the bodies: the host plans splits for kv_len (grid.y = splits = stride), or, for a
// step replayed as a CUDA graph, kv_len is read from device memory, grid.y = stride = the plan for the
// session's longest cache, and blocks past the plan for the current kv_len exit at once. Both plan alike
// (decode_active_splits, the same rule as CudaOps.decodeSplits), so they give the same bits.
#include "common.cuh"

namespace flashj {

constexpr int DECODE_THREADS = 128;
constexpr float DECODE_LOG2E = 1.4426950408889634f;
constexpr float DECODE_LN2 = 0.6931471805599453f;

// Splits for kv_len keys: at least min_keys keys each, at most max_splits (the occupancy bound, or the plan for
// a longer cache: the length term only grows with kv_len, so the minimum is the same).
__device__ __forceinline__ int decode_active_splits(int kv_len, int max_splits, int min_keys) {
    return max(1, min(max_splits, (kv_len + min_keys - 1) / min_keys));
}

template <typename T>
union DecodePack8 {
    uint4 raw;
    T values[8];
};

// grid (num_heads, >= splits), block 128; split = blockIdx.y writes slot head * stride + split.
// Keys [split * chunk, min(kv_len, (split + 1) * chunk)).
// D / 8 lanes share one key (8 dims each, one 16-byte load), so a warp scores 32 / (D / 8) keys at once.
template <typename T, int D>
__device__ void decode_attention_partial(const T* q, const T* k, const T* v, float* partial_out, float* partial_lse,
                                         int num_heads, int num_kv_heads, int kv_len, int chunk, int stride,
                                         float scale) {
    constexpr int LANES_PER_KEY = D / 8;
    constexpr int KEYS_PER_WARP = 32 / LANES_PER_KEY;
    constexpr int GROUPS = (DECODE_THREADS / 32) * KEYS_PER_WARP;
    __shared__ float group_max[GROUPS];
    __shared__ float group_sum[GROUPS];
    __shared__ float group_out[GROUPS][D];

    int head = blockIdx.x;
    int split = blockIdx.y;
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int group = warp * KEYS_PER_WARP + lane / LANES_PER_KEY;
    int part = lane % LANES_PER_KEY;
    int kv_head = head / (num_heads / num_kv_heads);
    long kv_stride = static_cast<long>(num_kv_heads) * D;
    int begin = split * chunk;
    int end = min(kv_len, begin + chunk);

    DecodePack8<T> qp;
    qp.raw = *reinterpret_cast<const uint4*>(q + static_cast<long>(head) * D + part * 8);
    float qv[8];
    float o[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) {
        qv[i] = to_float(qp.values[i]) * scale * DECODE_LOG2E;
        o[i] = 0.0f;
    }
    float m = -INFINITY;
    float l = 0.0f;
    // Whole warps step together so the shuffles below always see all 32 lanes.
    for (int first = begin + warp * KEYS_PER_WARP; first < end; first += GROUPS) {
        int key = first + lane / LANES_PER_KEY;
        bool valid = key < end;
        long offset = valid ? key * kv_stride + static_cast<long>(kv_head) * D + part * 8 : 0;
        DecodePack8<T> kp;
        kp.raw = valid ? __ldg(reinterpret_cast<const uint4*>(k + offset)) : make_uint4(0, 0, 0, 0);
        float dot = 0.0f;
#pragma unroll
        for (int i = 0; i < 8; ++i) dot += qv[i] * to_float(kp.values[i]);
#pragma unroll
        for (int width = LANES_PER_KEY / 2; width > 0; width >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, width);
        if (valid) {
            DecodePack8<T> vp;
            vp.raw = __ldg(reinterpret_cast<const uint4*>(v + offset));
            float new_max = fmaxf(m, dot);
            float correction = exp2f(m - new_max);
            float weight = exp2f(dot - new_max);
            l = l * correction + weight;
#pragma unroll
            for (int i = 0; i < 8; ++i) o[i] = o[i] * correction + weight * to_float(vp.values[i]);
            m = new_max;
        }
    }
    if (part == 0) {
        group_max[group] = m;
        group_sum[group] = l;
    }
#pragma unroll
    for (int i = 0; i < 8; ++i) group_out[group][part * 8 + i] = o[i];
    __syncthreads();

    float block_max = -INFINITY;
    for (int g = 0; g < GROUPS; ++g) block_max = fmaxf(block_max, group_max[g]);
    float base = block_max == -INFINITY ? 0.0f : block_max;
    float total = 0.0f;
    for (int g = 0; g < GROUPS; ++g) total += group_sum[g] * exp2f(group_max[g] - base);
    long slot = static_cast<long>(head) * stride + split;
    for (int d = threadIdx.x; d < D; d += DECODE_THREADS) {
        float acc = 0.0f;
        for (int g = 0; g < GROUPS; ++g) acc += group_out[g][d] * exp2f(group_max[g] - base);
        partial_out[slot * D + d] = total > 0.0f ? acc / total : 0.0f;
    }
    if (threadIdx.x == 0) partial_lse[slot] = total > 0.0f ? base + log2f(total) : -INFINITY;
}

// Merges the first `splits` slots of each head (slots head * stride + s). grid (num_heads), block 128.
template <typename T>
__device__ void decode_attention_combine(const float* partial_out, const float* partial_lse, T* out, float* lse,
                                         int splits, int stride, int head_dim) {
    int head = blockIdx.x;
    const float* head_lse = partial_lse + static_cast<long>(head) * stride;
    float max_lse = -INFINITY;
    for (int s = 0; s < splits; ++s) max_lse = fmaxf(max_lse, head_lse[s]);
    float base = max_lse == -INFINITY ? 0.0f : max_lse;
    float total = 0.0f;
    for (int s = 0; s < splits; ++s) total += exp2f(head_lse[s] - base);
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float acc = 0.0f;
        for (int s = 0; s < splits; ++s) {
            acc += exp2f(head_lse[s] - base) * partial_out[(static_cast<long>(head) * stride + s) * head_dim + d];
        }
        out[static_cast<long>(head) * head_dim + d] = from_float<T>(total > 0.0f ? acc / total : 0.0f);
    }
    if (lse != nullptr && threadIdx.x == 0) lse[head] = total > 0.0f ? (base + log2f(total)) * DECODE_LN2 : -INFINITY;
}

// The graph form: kv_len from device memory, the split plan made here. grid (num_heads, max_splits).
template <typename T, int D>
__device__ void decode_attention_partial_at(const T* q, const T* k, const T* v, float* partial_out, float* partial_lse,
                                            int num_heads, int num_kv_heads, const int* kv_len_at, int max_splits,
                                            int min_keys, float scale) {
    int kv_len = *kv_len_at;
    int splits = decode_active_splits(kv_len, max_splits, min_keys);
    if (static_cast<int>(blockIdx.y) >= splits) return;  // the whole block: no barrier is skipped by half of it
    int chunk = (kv_len + splits - 1) / splits;
    decode_attention_partial<T, D>(q, k, v, partial_out, partial_lse, num_heads, num_kv_heads, kv_len, chunk, max_splits,
                                   scale);
}

}  // namespace flashj

#define FLASHJ_DECODE_ATTENTION_D(SUFFIX, T, D)                                                                   \
    extern "C" __global__ void __launch_bounds__(flashj::DECODE_THREADS) decode_attention_d##D##_##SUFFIX(        \
        const T* q, const T* k, const T* v, float* partial_out, float* partial_lse, int num_heads, int num_kv_heads, \
        int kv_len, int chunk, float scale) {                                                                      \
        flashj::decode_attention_partial<T, D>(q, k, v, partial_out, partial_lse, num_heads, num_kv_heads, kv_len,  \
                                               chunk, gridDim.y, scale);                                           \
    }                                                                                                              \
    extern "C" __global__ void __launch_bounds__(flashj::DECODE_THREADS) decode_attention_d##D##_at_##SUFFIX(     \
        const T* q, const T* k, const T* v, float* partial_out, float* partial_lse, int num_heads, int num_kv_heads, \
        const int* kv_len_at, int max_splits, int min_keys, float scale) {                                        \
        flashj::decode_attention_partial_at<T, D>(q, k, v, partial_out, partial_lse, num_heads, num_kv_heads,      \
                                                  kv_len_at, max_splits, min_keys, scale);                         \
    }

#define FLASHJ_DECODE_ATTENTION(SUFFIX, T)                                                                         \
    FLASHJ_DECODE_ATTENTION_D(SUFFIX, T, 64)                                                                       \
    FLASHJ_DECODE_ATTENTION_D(SUFFIX, T, 128)                                                                      \
    extern "C" __global__ void decode_attention_combine_##SUFFIX(const float* partial_out, const float* partial_lse, \
                                                                 T* out, float* lse, int splits, int head_dim) {   \
        flashj::decode_attention_combine<T>(partial_out, partial_lse, out, lse, splits, splits, head_dim);         \
    }                                                                                                              \
    extern "C" __global__ void decode_attention_combine_at_##SUFFIX(                                               \
        const float* partial_out, const float* partial_lse, T* out, float* lse, const int* kv_len_at,              \
        int max_splits, int min_keys, int head_dim) {                                                              \
        int splits = flashj::decode_active_splits(*kv_len_at, max_splits, min_keys);                               \
        flashj::decode_attention_combine<T>(partial_out, partial_lse, out, lse, splits, max_splits, head_dim);     \
    }

FLASHJ_FOR_STORAGE(FLASHJ_DECODE_ATTENTION)
