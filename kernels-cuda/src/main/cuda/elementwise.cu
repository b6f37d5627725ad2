// Small LLaMA ops: embedding lookup, RMSNorm, RoPE, SwiGLU, bias add, KV-cache append.
// Activations: residual stream fp32 [tokens, dim]; everything else in the storage type T.
#include "common.cuh"

namespace flashj {

// x[t, :] = table[ids[t], :] as fp32. table: [vocab, dim] T; grid (tokens), block 256.
template <typename T>
__device__ void embedding(const T* table, const int* ids, float* x, int dim) {
    long row = static_cast<long>(ids[blockIdx.x]) * dim;
    float* out = x + static_cast<long>(blockIdx.x) * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) out[i] = to_float(table[row + i]);
}

// out[t, :] = x[t, :] / rms(x[t, :]) * weight. x fp32 [tokens, dim], weight fp32 [dim], out T [tokens, dim].
// grid (tokens), block 256.
template <typename T>
__device__ void rmsnorm(const float* x, const float* weight, T* out, int dim, float eps) {
    __shared__ float scratch[32];
    const float* row = x + static_cast<long>(blockIdx.x) * dim;
    float sum = 0.0f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) sum += row[i] * row[i];
    float inv = rsqrtf(block_sum(sum, scratch) / dim + eps);
    T* o = out + static_cast<long>(blockIdx.x) * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = from_float<T>(row[i] * inv * weight[i]);
}

// Rotates the first rotary_dims of every head in place. x: T rows of row_stride elements, head h of
// token t at x[t * row_stride + h * head_dim]; token t sits at position first_position + t.
// cos/sin: fp32 [positions, rotary_dims / 2]. interleaved != 0: pairs (2i, 2i+1) (GGUF); else pairs
// (i, i + rotary_dims / 2) (Hugging Face). grid (tokens, heads), block 64.
template <typename T>
__device__ void rope(T* x, const float* cos_table, const float* sin_table, long row_stride, int head_dim,
                     int rotary_dims, int first_position, int interleaved) {
    int half_dims = rotary_dims / 2;
    T* head = x + blockIdx.x * row_stride + static_cast<long>(blockIdx.y) * head_dim;
    long table_row = static_cast<long>(first_position + static_cast<int>(blockIdx.x)) * half_dims;
    for (int i = threadIdx.x; i < half_dims; i += blockDim.x) {
        int a = interleaved ? 2 * i : i;
        int b = interleaved ? 2 * i + 1 : i + half_dims;
        float c = cos_table[table_row + i];
        float s = sin_table[table_row + i];
        float x0 = to_float(head[a]);
        float x1 = to_float(head[b]);
        head[a] = from_float<T>(x0 * c - x1 * s);
        head[b] = from_float<T>(x0 * s + x1 * c);
    }
}

// out[i] = silu(gate[i]) * up[i] over n elements (out may alias gate). grid-stride, any launch.
template <typename T>
__device__ void silu_mul(const T* gate, const T* up, T* out, long n) {
    for (long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<long>(gridDim.x) * blockDim.x) {
        float g = to_float(gate[i]);
        out[i] = from_float<T>(g / (1.0f + __expf(-g)) * to_float(up[i]));
    }
}

// x[t, c] += bias[c] for rows of row_stride elements. bias fp32 [cols]. grid (tokens), block 256.
template <typename T>
__device__ void add_bias(T* x, const float* bias, int cols, long row_stride) {
    T* row = x + blockIdx.x * row_stride;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) row[i] = from_float<T>(to_float(row[i]) + bias[i]);
}

// Appends tokens to a contiguous KV cache: cache[(position + t) * width + i] = values[t * width + i].
// width = kv_heads * head_dim. grid (tokens), block 256.
// The "_at" kernels below take the position from device memory (a decode step replayed as a CUDA graph).
template <typename T>
__device__ void kv_append(const T* values, T* cache, int width, int position) {
    const T* src = values + static_cast<long>(blockIdx.x) * width;
    T* dst = cache + (static_cast<long>(position) + blockIdx.x) * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) dst[i] = src[i];
}

}  // namespace flashj

#define FLASHJ_ELEMENTWISE(SUFFIX, T)                                                                            \
    extern "C" __global__ void embedding_##SUFFIX(const T* table, const int* ids, float* x, int dim) {           \
        flashj::embedding<T>(table, ids, x, dim);                                                                \
    }                                                                                                            \
    extern "C" __global__ void rmsnorm_##SUFFIX(const float* x, const float* weight, T* out, int dim, float eps) { \
        flashj::rmsnorm<T>(x, weight, out, dim, eps);                                                            \
    }                                                                                                            \
    extern "C" __global__ void rope_##SUFFIX(T* x, const float* cos_table, const float* sin_table,               \
                                             long row_stride, int head_dim, int rotary_dims, int first_position, \
                                             int interleaved) {                                                  \
        flashj::rope<T>(x, cos_table, sin_table, row_stride, head_dim, rotary_dims, first_position, interleaved); \
    }                                                                                                            \
    extern "C" __global__ void silu_mul_##SUFFIX(const T* gate, const T* up, T* out, long n) {                   \
        flashj::silu_mul<T>(gate, up, out, n);                                                                   \
    }                                                                                                            \
    extern "C" __global__ void add_bias_##SUFFIX(T* x, const float* bias, int cols, long row_stride) {           \
        flashj::add_bias<T>(x, bias, cols, row_stride);                                                          \
    }                                                                                                            \
    extern "C" __global__ void kv_append_##SUFFIX(const T* values, T* cache, int width, int position) {          \
        flashj::kv_append<T>(values, cache, width, position);                                                    \
    }                                                                                                            \
    extern "C" __global__ void rope_at_##SUFFIX(T* x, const float* cos_table, const float* sin_table,            \
                                                long row_stride, int head_dim, int rotary_dims,                  \
                                                const int* first_position_at, int interleaved) {                 \
        flashj::rope<T>(x, cos_table, sin_table, row_stride, head_dim, rotary_dims, *first_position_at,          \
                        interleaved);                                                                            \
    }                                                                                                            \
    /* One token's key (blockIdx.y 0) and value (1) rows into their caches at the position in device memory. */ \
    extern "C" __global__ void kv_append_at_##SUFFIX(const T* key, const T* value, T* key_cache, T* value_cache,   \
                                                     int width, const int* position_at) {                        \
        bool is_key = blockIdx.y == 0;                                                                           \
        flashj::kv_append<T>(is_key ? key : value, is_key ? key_cache : value_cache, width, *position_at);       \
    }

FLASHJ_FOR_STORAGE(FLASHJ_ELEMENTWISE)
