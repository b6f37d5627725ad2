// Decode attention (one new query per head) over a contiguous KV cache, split-KV ("flash-decoding"):
// the keys are cut into chunks, one block per (head, chunk) computes a partial softmax-weighted sum,
// and a combine kernel merges the chunks by their log-sum-exp. Long caches thus fill the GPU even
// though there is only one query.
//   q:   T [num_heads, D]                  k, v: T [kv_len, num_kv_heads, D] (rows of num_kv_heads * D)
//   partial_out: fp32 [num_heads, splits, D]  partial_lse: fp32 [num_heads, splits] (log2 units)
//   out: T [num_heads, D]                  lse:  fp32 [num_heads] natural log (nullptr to skip)
#include "common.cuh"

namespace flashj {

constexpr int DECODE_THREADS = 128;
constexpr float DECODE_LOG2E = 1.4426950408889634f;
constexpr float DECODE_LN2 = 0.6931471805599453f;

template <typename T>
union DecodePack8 {
    uint4 raw;
    T values[8];
};

// grid (num_heads, splits), block 128. Keys [split * chunk, min(kv_len, (split + 1) * chunk)).
// D / 8 lanes share one key (8 dims each, one 16-byte load), so a warp scores 32 / (D / 8) keys at once.
template <typename T, int D>
__device__ void decode_attention_partial(const T* q, const T* k, const T* v, float* partial_out, float* partial_lse,
                                         int num_heads, int num_kv_heads, int kv_len, int chunk, float scale) {
    constexpr int LANES_PER_KEY = D / 8;
    constexpr int KEYS_PER_WARP = 32 / LANES_PER_KEY;
    constexpr int GROUPS = (DECODE_THREADS / 32) * KEYS_PER_WARP;
    __shared__ float group_max[GROUPS];
    __shared__ float group_sum[GROUPS];
    __shared__ float group_out[GROUPS][D];

    int head = blockIdx.x;
    int split = blockIdx.y;
    int splits = gridDim.y;
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
    long slot = static_cast<long>(head) * splits + split;
    for (int d = threadIdx.x; d < D; d += DECODE_THREADS) {
        float acc = 0.0f;
        for (int g = 0; g < GROUPS; ++g) acc += group_out[g][d] * exp2f(group_max[g] - base);
        partial_out[slot * D + d] = total > 0.0f ? acc / total : 0.0f;
    }
    if (threadIdx.x == 0) partial_lse[slot] = total > 0.0f ? base + log2f(total) : -INFINITY;
}

// Merges the splits of each head. grid (num_heads), block 128.
template <typename T>
__device__ void decode_attention_combine(const float* partial_out, const float* partial_lse, T* out, float* lse,
                                         int splits, int head_dim) {
    int head = blockIdx.x;
    const float* head_lse = partial_lse + static_cast<long>(head) * splits;
    float max_lse = -INFINITY;
    for (int s = 0; s < splits; ++s) max_lse = fmaxf(max_lse, head_lse[s]);
    float base = max_lse == -INFINITY ? 0.0f : max_lse;
    float total = 0.0f;
    for (int s = 0; s < splits; ++s) total += exp2f(head_lse[s] - base);
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float acc = 0.0f;
        for (int s = 0; s < splits; ++s) {
            acc += exp2f(head_lse[s] - base) * partial_out[(static_cast<long>(head) * splits + s) * head_dim + d];
        }
        out[static_cast<long>(head) * head_dim + d] = from_float<T>(total > 0.0f ? acc / total : 0.0f);
    }
    if (lse != nullptr && threadIdx.x == 0) lse[head] = total > 0.0f ? (base + log2f(total)) * DECODE_LN2 : -INFINITY;
}

}  // namespace flashj

#define FLASHJ_DECODE_ATTENTION(SUFFIX, T)                                                                         \
    extern "C" __global__ void __launch_bounds__(flashj::DECODE_THREADS) decode_attention_d64_##SUFFIX(            \
        const T* q, const T* k, const T* v, float* partial_out, float* partial_lse, int num_heads, int num_kv_heads, \
        int kv_len, int chunk, float scale) {                                                                      \
        flashj::decode_attention_partial<T, 64>(q, k, v, partial_out, partial_lse, num_heads, num_kv_heads, kv_len, \
                                                chunk, scale);                                                     \
    }                                                                                                              \
    extern "C" __global__ void __launch_bounds__(flashj::DECODE_THREADS) decode_attention_d128_##SUFFIX(           \
        const T* q, const T* k, const T* v, float* partial_out, float* partial_lse, int num_heads, int num_kv_heads, \
        int kv_len, int chunk, float scale) {                                                                      \
        flashj::decode_attention_partial<T, 128>(q, k, v, partial_out, partial_lse, num_heads, num_kv_heads,       \
                                                 kv_len, chunk, scale);                                            \
    }                                                                                                              \
    extern "C" __global__ void decode_attention_combine_##SUFFIX(const float* partial_out, const float* partial_lse, \
                                                                 T* out, float* lse, int splits, int head_dim) {   \
        flashj::decode_attention_combine<T>(partial_out, partial_lse, out, lse, splits, head_dim);                 \
    }

FLASHJ_FOR_STORAGE(FLASHJ_DECODE_ATTENTION)
