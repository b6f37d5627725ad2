// W8A8 FP8 (E4M3) matrix product for prefill:
//   out[t, r] = (sum_k xq[t, k] * wq[r, k]) * x_scale[t] * w_scale[r]
//   xq: E4M3 [m, padded_k] (fp8_quantize_rows_f16 writes it; padded_k % 32 == 0, zeros past k), x_scale fp32 [m]
//   wq: the FP8 tile layout of quant_gemv.cu (its lane bytes are this kernel's B fragments), w_scale fp32 [padded rows]
//   out: rows of ldc (fp16 or fp32); accumulate != 0 adds to what out holds.
// sm_89 and newer (sm_89, sm_90a cubins) use mma.sync m16n8k32 e4m3 tensor cores; older targets (sm_80, sm_86 and
// the compute_80 PTX) turn each fragment into exact fp16 and run two m16n8k16 steps instead.
// Block tile: 64 tokens x 128 weight rows; 4 warps, each all 64 tokens x 32 rows. Activations go through shared
// memory (cp.async, 2 stages of 128 k); weight fragments come straight from global memory, each byte read once
// per block.
#include <cuda_fp8.h>

#include "quant_common.cuh"

namespace flashj {

constexpr int F8_BM = 64;
constexpr int F8_BN = 128;
constexpr int F8_BK = 128;               // k (bytes) per stage
constexpr int F8_LD = F8_BK + 32;        // 160-byte rows: the 8-byte fragment loads of 4 rows hit distinct banks
constexpr int F8_THREADS = 128;
constexpr int F8_CHUNK = 32;             // k per mma (and per tile-layout chunk)

// D += A(16x32, row) * B(32x8, col), E4M3 operands, fp32 accumulators; fragment k index kappa of lane L holds
// kappa = 4 * (L % 4) + {0..3} in a0/a1/b0 and 16 + that in a2/a3/b1 (any fixed permutation of k works).
__device__ __forceinline__ void mma_e4m3(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
    asm volatile("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9},"
                 " {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
    // fp16 step h covers kappa 16h + 4j + {0..3}: its k index 2j + e is byte e, 2j + 8 + e byte 2 + e.
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        uint32_t low_rows = a[2 * h];
        uint32_t high_rows = a[2 * h + 1];
        uint32_t b = h == 0 ? b0 : b1;
        uint32_t a16[4] = {e4m3_pair_to_half2(low_rows, BYTES_0_1), e4m3_pair_to_half2(high_rows, BYTES_0_1),
                           e4m3_pair_to_half2(low_rows, BYTES_2_3), e4m3_pair_to_half2(high_rows, BYTES_2_3)};
        Mma<__half>::run(d, a16, e4m3_pair_to_half2(b, BYTES_0_1), e4m3_pair_to_half2(b, BYTES_2_3));
    }
#endif
}

template <typename OutT>
__device__ void fp8_gemm(const uint8_t* xq, const float* x_scale, const uint4* w_tiles, const float* w_scale, OutT* out,
                         int m, int n, int padded_k, long ldc, int accumulate) {
    __shared__ __align__(16) uint8_t x_tile[2][F8_BM][F8_LD];
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int m0 = blockIdx.y * F8_BM;
    int first_tile = (blockIdx.x * F8_BN + warp * 32) / 16;
    int row_tiles = (n + 15) / 16;
    int chunks = padded_k / F8_CHUNK;
    int quad = lane & 3;

    float acc[4][4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
#pragma unroll
            for (int c = 0; c < 4; ++c) acc[i][j][c] = 0.0f;

    auto load_stage = [&](int stage, int k0) {
        constexpr int PIECES = F8_BK / 16;
        for (int c = threadIdx.x; c < F8_BM * PIECES; c += F8_THREADS) {
            int row = c / PIECES;
            int col = (c % PIECES) * 16;
            bool inside = m0 + row < m && k0 + col < padded_k;
            const uint8_t* src = inside ? xq + static_cast<long>(m0 + row) * padded_k + k0 + col : xq;
            cp_async_16(&x_tile[stage][row][col], src, inside ? 16 : 0);
        }
        cp_async_commit();
    };

    int k_tiles = (padded_k + F8_BK - 1) / F8_BK;
    load_stage(0, 0);
    for (int kt = 0; kt < k_tiles; ++kt) {
        int stage = kt & 1;
        // This stage's weight fragments: issued before waiting on the activations so the two overlap.
        uint4 w[F8_BK / F8_CHUNK][2];
#pragma unroll
        for (int kc = 0; kc < F8_BK / F8_CHUNK; ++kc) {
            int chunk = kt * (F8_BK / F8_CHUNK) + kc;
#pragma unroll
            for (int i = 0; i < 2; ++i) {
                int tile = first_tile + i;
                w[kc][i] = tile < row_tiles && chunk < chunks
                               ? __ldg(w_tiles + (static_cast<long>(tile) * chunks + chunk) * 32 + lane)
                               : make_uint4(0, 0, 0, 0);
            }
        }
        if (kt + 1 < k_tiles) {
            load_stage(stage ^ 1, (kt + 1) * F8_BK);
            cp_async_wait<1>();
        } else {
            cp_async_wait<0>();
        }
        __syncthreads();
#pragma unroll
        for (int kc = 0; kc < F8_BK / F8_CHUNK; ++kc) {
#pragma unroll
            for (int mt = 0; mt < 4; ++mt) {
                int row = mt * 16 + (lane >> 2);
                uint2 low = *reinterpret_cast<const uint2*>(&x_tile[stage][row][kc * F8_CHUNK + 8 * quad]);
                uint2 high = *reinterpret_cast<const uint2*>(&x_tile[stage][row + 8][kc * F8_CHUNK + 8 * quad]);
                uint32_t a[4] = {low.x, high.x, low.y, high.y};
#pragma unroll
                for (int i = 0; i < 2; ++i) {
                    mma_e4m3(acc[mt][2 * i], a, w[kc][i].x, w[kc][i].y);
                    mma_e4m3(acc[mt][2 * i + 1], a, w[kc][i].z, w[kc][i].w);
                }
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int mt = 0; mt < 4; ++mt)
#pragma unroll
        for (int nt = 0; nt < 4; ++nt)
#pragma unroll
            for (int c = 0; c < 4; ++c) {
                int t = m0 + mt * 16 + (lane >> 2) + (c >= 2 ? 8 : 0);
                int col = first_tile * 16 + nt * 8 + quad * 2 + (c & 1);
                if (t < m && col < n) {
                    float v = acc[mt][nt][c] * __ldg(x_scale + t) * __ldg(w_scale + col);
                    store_out(out, static_cast<long>(t) * ldc + col, v, accumulate != 0);
                }
            }
}

// Per-token scales: each row of x scaled so that its largest magnitude maps to 448, rounded to nearest E4M3
// (saturating); padded_k - k zero codes follow each row. grid m, block 256.
__device__ void fp8_quantize_rows(const __half* x, uint8_t* codes, float* scales, int k, int padded_k) {
    __shared__ float scratch[32];
    const __half* row = x + static_cast<long>(blockIdx.x) * k;
    float amax = 0.0f;
    for (int i = threadIdx.x; i < k; i += blockDim.x) amax = fmaxf(amax, fabsf(__half2float(row[i])));
    amax = warp_max(amax);
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = amax;
    __syncthreads();
    amax = (threadIdx.x & 31) < (blockDim.x >> 5) ? scratch[threadIdx.x & 31] : 0.0f;
    amax = warp_max(amax);
    float scale = amax > 0.0f ? amax / 448.0f : 1.0f;
    uint8_t* out = codes + static_cast<long>(blockIdx.x) * padded_k;
    for (int i = threadIdx.x; i < padded_k; i += blockDim.x) {
        out[i] = i < k ? static_cast<uint8_t>(__nv_cvt_float_to_fp8(__half2float(row[i]) / scale, __NV_SATFINITE, __NV_E4M3))
                       : static_cast<uint8_t>(0);
    }
    if (threadIdx.x == 0) scales[blockIdx.x] = scale;
}

}  // namespace flashj

extern "C" __global__ void __launch_bounds__(256) fp8_quantize_rows_f16(const __half* x, uint8_t* codes, float* scales, int k,
                                                                        int padded_k) {
    flashj::fp8_quantize_rows(x, codes, scales, k, padded_k);
}

#define FLASHJ_FP8_GEMM(OUT_SUFFIX, OutT)                                                                              \
    extern "C" __global__ void __launch_bounds__(flashj::F8_THREADS) fp8_gemm_##OUT_SUFFIX(                             \
        const uint8_t* xq, const float* x_scale, const uint4* w_tiles, const float* w_scale, OutT* out, int m, int n,  \
        int padded_k, long ldc, int accumulate) {                                                                      \
        flashj::fp8_gemm<OutT>(xq, x_scale, w_tiles, w_scale, out, m, n, padded_k, ldc, accumulate);                   \
    }

FLASHJ_FP8_GEMM(f16, __half)
FLASHJ_FP8_GEMM(f32, float)
