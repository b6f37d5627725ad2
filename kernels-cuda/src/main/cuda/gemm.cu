// Matrix products with weights in the LLaMA layout: out[m, n] = sum_k x[m, k] * w[n, k].
//   x:   T [m, k] row-major (activations, one row per token)
//   w:   T [n, k] row-major (a weight matrix: one output feature per row)
//   out: OutT rows of ldc elements (T or fp32); accumulate != 0 adds to what out holds (residual add).
// gemm_*: tensor cores (mma.sync m16n8k16, fp32 accumulators) for prefill; needs k % 8 == 0 and
// 16-byte aligned x and w. gemm_simple_*: any k, any alignment. gemv_*: one token (decode).
#include "common.cuh"

namespace flashj {

constexpr int GEMM_BM = 64;   // tokens per block
constexpr int GEMM_BN = 128;  // output features per block
constexpr int GEMM_BK = 32;   // reduction slice per pipeline stage
constexpr int GEMM_PAD = 8;   // keeps ldmatrix rows on distinct banks
constexpr int GEMM_LD = GEMM_BK + GEMM_PAD;
constexpr int GEMM_THREADS = 128;  // 4 warps as 2 x 2, each owning 32 tokens x 64 features

// Loads one BK slice of x rows [m0, m0 + BM) and w rows [n0, n0 + BN) into shared memory; rows and
// columns past the matrix are zero-filled.
template <typename T>
__device__ __forceinline__ void gemm_load_stage(T (*a)[GEMM_LD], T (*b)[GEMM_LD], const T* x, const T* w, int m, int n,
                                                int k, int m0, int n0, int k0) {
    constexpr int CHUNKS_PER_ROW = GEMM_BK / 8;
    for (int c = threadIdx.x; c < GEMM_BM * CHUNKS_PER_ROW; c += GEMM_THREADS) {
        int row = c / CHUNKS_PER_ROW;
        int col = (c % CHUNKS_PER_ROW) * 8;
        bool inside = m0 + row < m && k0 + col < k;
        const T* src = inside ? x + static_cast<long>(m0 + row) * k + k0 + col : x;
        cp_async_16(&a[row][col], src, inside ? 16 : 0);
    }
    for (int c = threadIdx.x; c < GEMM_BN * CHUNKS_PER_ROW; c += GEMM_THREADS) {
        int row = c / CHUNKS_PER_ROW;
        int col = (c % CHUNKS_PER_ROW) * 8;
        bool inside = n0 + row < n && k0 + col < k;
        const T* src = inside ? w + static_cast<long>(n0 + row) * k + k0 + col : w;
        cp_async_16(&b[row][col], src, inside ? 16 : 0);
    }
}

// grid (ceil(n / 128), ceil(m / 64)), block 128.
template <typename T, typename OutT>
__device__ void gemm_tensor_core(const T* x, const T* w, OutT* out, int m, int n, int k, long ldc, int accumulate) {
    __shared__ __align__(16) T a_tile[2][GEMM_BM][GEMM_LD];
    __shared__ __align__(16) T b_tile[2][GEMM_BN][GEMM_LD];
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int warp_m = (warp >> 1) * 32;
    int warp_n = (warp & 1) * 64;
    int m0 = blockIdx.y * GEMM_BM;
    int n0 = blockIdx.x * GEMM_BN;

    float acc[2][8][4];
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j)
#pragma unroll
            for (int c = 0; c < 4; ++c) acc[i][j][c] = 0.0f;

    int k_tiles = (k + GEMM_BK - 1) / GEMM_BK;
    gemm_load_stage<T>(a_tile[0], b_tile[0], x, w, m, n, k, m0, n0, 0);
    cp_async_commit();
    for (int kt = 0; kt < k_tiles; ++kt) {
        int stage = kt & 1;
        if (kt + 1 < k_tiles) {
            gemm_load_stage<T>(a_tile[stage ^ 1], b_tile[stage ^ 1], x, w, m, n, k, m0, n0, (kt + 1) * GEMM_BK);
            cp_async_commit();
            cp_async_wait<1>();
        } else {
            cp_async_wait<0>();
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < GEMM_BK; kk += 16) {
            uint32_t a_frag[2][4];
#pragma unroll
            for (int i = 0; i < 2; ++i) {
                ldmatrix_x4(a_frag[i], &a_tile[stage][warp_m + i * 16 + (lane & 15)][kk + (lane >> 4) * 8]);
            }
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                uint32_t b_frag[4];
                ldmatrix_x4(b_frag, &b_tile[stage][warp_n + j * 16 + (lane >> 4) * 8 + (lane & 7)]
                                           [kk + ((lane >> 3) & 1) * 8]);
#pragma unroll
                for (int i = 0; i < 2; ++i) {
                    Mma<T>::run(acc[i][2 * j], a_frag[i], b_frag[0], b_frag[1]);
                    Mma<T>::run(acc[i][2 * j + 1], a_frag[i], b_frag[2], b_frag[3]);
                }
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j)
#pragma unroll
            for (int c = 0; c < 4; ++c) {
                int row = m0 + warp_m + i * 16 + (lane >> 2) + (c >= 2 ? 8 : 0);
                int col = n0 + warp_n + j * 8 + (lane & 3) * 2 + (c & 1);
                if (row < m && col < n) store_out(out, row * ldc + col, acc[i][j][c], accumulate != 0);
            }
}

constexpr int SIMPLE_TILE = 16;

// Any shapes and alignments: 16 x 16 output tiles through shared memory, fp32 arithmetic.
// grid (ceil(n / 16), ceil(m / 16)), block (16, 16).
template <typename T, typename OutT>
__device__ void gemm_simple(const T* x, const T* w, OutT* out, int m, int n, int k, long ldc, int accumulate) {
    __shared__ float xs[SIMPLE_TILE][SIMPLE_TILE + 1];
    __shared__ float ws[SIMPLE_TILE][SIMPLE_TILE + 1];
    int row = blockIdx.y * SIMPLE_TILE + threadIdx.y;  // token
    int col = blockIdx.x * SIMPLE_TILE + threadIdx.x;  // feature
    int w_row = blockIdx.x * SIMPLE_TILE + threadIdx.y;
    float sum = 0.0f;
    for (int k0 = 0; k0 < k; k0 += SIMPLE_TILE) {
        int kx = k0 + threadIdx.x;
        xs[threadIdx.y][threadIdx.x] = row < m && kx < k ? to_float(x[static_cast<long>(row) * k + kx]) : 0.0f;
        ws[threadIdx.y][threadIdx.x] = w_row < n && kx < k ? to_float(w[static_cast<long>(w_row) * k + kx]) : 0.0f;
        __syncthreads();
#pragma unroll
        for (int i = 0; i < SIMPLE_TILE; ++i) sum += xs[threadIdx.y][i] * ws[threadIdx.x][i];
        __syncthreads();
    }
    if (row < m && col < n) store_out(out, row * ldc + col, sum, accumulate != 0);
}

// Eight T values in one 16-byte load.
template <typename T>
union Pack8 {
    uint4 raw;
    T values[8];
};

constexpr int GEMV_THREADS = 256;  // 8 warps, one output feature each

// out[n] = w[n, :] . x for one token. vectorized != 0 when k % 8 == 0 and x, w are 16-byte aligned.
// grid ceil(n / 8), block 256.
template <typename T, typename OutT>
__device__ void gemv(const T* x, const T* w, OutT* out, int n, int k, int accumulate, int vectorized) {
    int lane = threadIdx.x & 31;
    int feature = blockIdx.x * (GEMV_THREADS / 32) + (threadIdx.x >> 5);
    if (feature >= n) return;
    const T* row = w + static_cast<long>(feature) * k;
    float sum = 0.0f;
    int done = 0;
    if (vectorized) {
        const uint4* row8 = reinterpret_cast<const uint4*>(row);
        const uint4* x8 = reinterpret_cast<const uint4*>(x);
        int chunks = k / 8;
        for (int c = lane; c < chunks; c += 32) {
            Pack8<T> wv, xv;
            wv.raw = __ldg(row8 + c);
            xv.raw = __ldg(x8 + c);
#pragma unroll
            for (int i = 0; i < 8; ++i) sum += to_float(wv.values[i]) * to_float(xv.values[i]);
        }
        done = chunks * 8;
    }
    for (int i = done + lane; i < k; i += 32) sum += to_float(row[i]) * to_float(x[i]);
    sum = warp_sum(sum);
    if (lane == 0) store_out(out, feature, sum, accumulate != 0);
}

}  // namespace flashj

#define FLASHJ_GEMM_OUT(SUFFIX, OUT_SUFFIX, T, OutT)                                                                \
    extern "C" __global__ void __launch_bounds__(flashj::GEMM_THREADS) gemm_##SUFFIX##_##OUT_SUFFIX(                \
        const T* x, const T* w, OutT* out, int m, int n, int k, long ldc, int accumulate) {                         \
        flashj::gemm_tensor_core<T, OutT>(x, w, out, m, n, k, ldc, accumulate);                                     \
    }                                                                                                               \
    extern "C" __global__ void gemm_simple_##SUFFIX##_##OUT_SUFFIX(const T* x, const T* w, OutT* out, int m, int n, \
                                                                   int k, long ldc, int accumulate) {               \
        flashj::gemm_simple<T, OutT>(x, w, out, m, n, k, ldc, accumulate);                                          \
    }                                                                                                               \
    extern "C" __global__ void __launch_bounds__(flashj::GEMV_THREADS) gemv_##SUFFIX##_##OUT_SUFFIX(                \
        const T* x, const T* w, OutT* out, int n, int k, int accumulate, int vectorized) {                          \
        flashj::gemv<T, OutT>(x, w, out, n, k, accumulate, vectorized);                                             \
    }

#define FLASHJ_GEMM(SUFFIX, T)              \
    FLASHJ_GEMM_OUT(SUFFIX, SUFFIX, T, T) \
    FLASHJ_GEMM_OUT(SUFFIX, f32, T, float)

FLASHJ_FOR_STORAGE(FLASHJ_GEMM)
