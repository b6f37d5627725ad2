// Matrix products with quantized weights, dequantized inside the kernel, for decode and small batches:
//   out[t, r] = sum_k x[t, k] * W[r, k]      x: fp16 [tokens, k] row-major; out: rows of ldc (fp16 or fp32)
// accumulate != 0 adds to what out holds (the residual add). More than 16 tokens (prefill) run as
// blocks of 16 tokens over grid.y, each re-reading the weights (from L2 when they fit).
//
// Tile kernels (FlashJ INT4 and FP8, repacked at load by dev.flashj.cuda.quant.*TileLayout):
//   rows in tiles of 16, k in chunks (64 for INT4, 32 for FP8); each (tile, chunk) is 512 bytes, tile-major,
//   and lane L of a warp reads its 16 bytes at 16 * L: one coalesced 128-bit load per lane per chunk that
//   holds the lane's mma A fragments (rows L/4 and L/4 + 8; k run of chunk/4 starting at (L%4) * chunk/4)
//   for every k16 step of the chunk. Inside a run, k16 step s uses k 4s .. 4s+3: the mma's k index is
//   permuted the same way for the weights (A) and the activations (B), so the sum is unchanged and each
//   lane's activations are one contiguous run (16-byte loads).
//   INT4 word s (one per k16 step): nibble p holds the pair p element of the low k, nibble p + 4 the high
//   one, pair p = (row L/4 + 8 * (p & 1), k 4s + 2 * (p >> 1) + {0, 1}): (w >> 4p) & 0x000f000f | 0x6400...
//   is two fp16 1024 + code. Params: half2 (scale, offset) per [group][padded row]; value = code * scale + offset.
//   FP8 (E4M3) bytes: row L/4 k 0..7 of the run, then row L/4 + 8 k 0..7; scales fp32 per padded row,
//   applied once to the sum. The same bytes are the B fragments of the W8A8 GEMM (fp8_gemm.cu).
//   Padding rows and k hold code 0 and, for INT4, scale = offset = 0; padded k meets x = 0.
// Each block: 8 warps share 2 row tiles (32 rows) and split the chunks; partial sums meet in shared memory.
//
// GGUF kernels (Q8_0, Q4_0, Q4_K, Q6_K) read the file's blocks in place: one warp per row, one 32-element unit
// (a Q8_0/Q4_0 block, a K-quant sub-block) per lane at a time, fp32 arithmetic, up to 16 tokens per pass.
#include "quant_common.cuh"

namespace flashj {

constexpr int QTILE_THREADS = 256;
constexpr int QTILE_WARPS = QTILE_THREADS / 32;
constexpr int QTILE_ROWS = 16;
constexpr int QTILE_TILES_PER_BLOCK = 2;

struct Int4Tiles {
    static constexpr int CHUNK_K = 64;
    static constexpr int STEPS = 4;
    struct Params {
        __half2 scale[2];   // rows L/4 and L/4 + 8, both halves equal
        __half2 offset[2];
    };
    static __device__ __forceinline__ Params load(const void* params, int group, int padded_rows, int chunk, int lane,
                                                  int tile_row0) {
        int g = (chunk * CHUNK_K + (lane & 3) * (CHUNK_K / 4)) / group;
        const __half2* p = static_cast<const __half2*>(params) + static_cast<long>(g) * padded_rows + tile_row0 + (lane >> 2);
        __half2 low = __ldg(p);
        __half2 high = __ldg(p + 8);
        Params r;
        r.scale[0] = __low2half2(low);
        r.offset[0] = __high2half2(low);
        r.scale[1] = __low2half2(high);
        r.offset[1] = __high2half2(high);
        return r;
    }
    static __device__ __forceinline__ void dequant(const uint4& w, int step, const Params& p, uint32_t (&a)[4]) {
        uint32_t word = step == 0 ? w.x : step == 1 ? w.y : step == 2 ? w.z : w.w;
        const __half2 magic = __float2half2_rn(1024.0f);
#pragma unroll
        for (int pair = 0; pair < 4; ++pair) {
            uint32_t bits = ((word >> (4 * pair)) & 0x000F000Fu) | 0x64006400u;
            __half2 code = __hsub2(bits_to_half2(bits), magic);
            a[pair] = half2_to_bits(__hfma2(code, p.scale[pair & 1], p.offset[pair & 1]));
        }
    }
    static __device__ __forceinline__ float row_scale(const void*, int) { return 1.0f; }
};

struct Fp8Tiles {
    static constexpr int CHUNK_K = 32;
    static constexpr int STEPS = 2;
    struct Params {};
    static __device__ __forceinline__ Params load(const void*, int, int, int, int, int) { return Params{}; }
    static __device__ __forceinline__ void dequant(const uint4& w, int step, const Params&, uint32_t (&a)[4]) {
        uint32_t low_row = step == 0 ? w.x : w.y;
        uint32_t high_row = step == 0 ? w.z : w.w;
        a[0] = e4m3_pair_to_half2(low_row, BYTES_0_1);
        a[1] = e4m3_pair_to_half2(high_row, BYTES_0_1);
        a[2] = e4m3_pair_to_half2(low_row, BYTES_2_3);
        a[3] = e4m3_pair_to_half2(high_row, BYTES_2_3);
    }
    static __device__ __forceinline__ float row_scale(const void* params, int row) {
        return __ldg(static_cast<const float*>(params) + row);
    }
};

// A lane's run of 2 * WORDS activations from k = start as half2 words; zeros past k or for a missing token.
template <int WORDS>
__device__ __forceinline__ void load_activation_run(uint32_t (&r)[WORDS], const __half* row, int start, int k, bool present,
                                                    int vectorized) {
    if (present && vectorized && start + 2 * WORDS <= k) {
        const uint4* src = reinterpret_cast<const uint4*>(row + start);
#pragma unroll
        for (int q = 0; q < WORDS / 4; ++q) {
            uint4 v = __ldg(src + q);
            r[4 * q] = v.x;
            r[4 * q + 1] = v.y;
            r[4 * q + 2] = v.z;
            r[4 * q + 3] = v.w;
        }
        return;
    }
    const __half zero = __float2half_rn(0.0f);
#pragma unroll
    for (int i = 0; i < WORDS; ++i) {
        int at = start + 2 * i;
        __half low = present && at < k ? row[at] : zero;
        __half high = present && at + 1 < k ? row[at + 1] : zero;
        r[i] = half2_to_bits(__halves2half2(low, high));
    }
}

// What one lane reads for one chunk: its 16 weight bytes and params per row tile, its activation runs.
template <typename Format, int TOKEN_TILES>
struct TileChunk {
    static constexpr int RUN = Format::CHUNK_K / 4;
    uint4 w[QTILE_TILES_PER_BLOCK];
    typename Format::Params p[QTILE_TILES_PER_BLOCK];
    uint32_t x[TOKEN_TILES][RUN / 2];

    __device__ __forceinline__ void load(const uint4* tiles, const void* params, int group,
                                         const __half* const (&x_rows)[TOKEN_TILES], const bool (&has_token)[TOKEN_TILES],
                                         int k, int x_vectorized, int chunks, int padded_rows, int row_tiles, int first_tile,
                                         int chunk, int lane) {
#pragma unroll
        for (int i = 0; i < QTILE_TILES_PER_BLOCK; ++i) {
            int tile = first_tile + i;
            if (tile < row_tiles) {
                w[i] = __ldg(tiles + (static_cast<long>(tile) * chunks + chunk) * 32 + lane);
                p[i] = Format::load(params, group, padded_rows, chunk, lane, tile * QTILE_ROWS);
            }
        }
#pragma unroll
        for (int nt = 0; nt < TOKEN_TILES; ++nt) {
            load_activation_run<RUN / 2>(x[nt], x_rows[nt], chunk * Format::CHUNK_K + (lane & 3) * RUN, k, has_token[nt],
                                         x_vectorized);
        }
    }
};

// grid (ceil(row_tiles / 2), ceil(tokens / (8 * TOKEN_TILES))), block 256.
template <typename Format, int TOKEN_TILES, typename OutT>
__device__ void tile_gemv(const uint4* tiles, const void* params, int group, const __half* x, OutT* out, int rows, int k,
                          int tokens, long ldc, int accumulate, int x_vectorized) {
    constexpr int TOKENS = 8 * TOKEN_TILES;
    __shared__ float partial[QTILE_WARPS][QTILE_TILES_PER_BLOCK * QTILE_ROWS][TOKENS + 1];
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int row_tiles = (rows + QTILE_ROWS - 1) / QTILE_ROWS;
    int padded_rows = row_tiles * QTILE_ROWS;
    int chunks = (k + Format::CHUNK_K - 1) / Format::CHUNK_K;
    int first_tile = blockIdx.x * QTILE_TILES_PER_BLOCK;
    int token0 = blockIdx.y * TOKENS;

    const __half* x_rows[TOKEN_TILES];
    bool has_token[TOKEN_TILES];
#pragma unroll
    for (int nt = 0; nt < TOKEN_TILES; ++nt) {
        int t = token0 + nt * 8 + (lane >> 2);
        has_token[nt] = t < tokens;
        x_rows[nt] = x + static_cast<long>(has_token[nt] ? t : 0) * k;
    }
    float acc[QTILE_TILES_PER_BLOCK][TOKEN_TILES][4];
#pragma unroll
    for (int i = 0; i < QTILE_TILES_PER_BLOCK; ++i)
#pragma unroll
        for (int nt = 0; nt < TOKEN_TILES; ++nt)
#pragma unroll
            for (int c = 0; c < 4; ++c) acc[i][nt][c] = 0.0f;

    // Register double buffering: the next chunk's weights, params and activations are in flight while this
    // chunk's mma run, so each lane keeps two chunks of loads outstanding.
    TileChunk<Format, TOKEN_TILES> current;
    if (warp < chunks) {
        current.load(tiles, params, group, x_rows, has_token, k, x_vectorized, chunks, padded_rows, row_tiles, first_tile,
                     warp, lane);
    }
    for (int chunk = warp; chunk < chunks; chunk += QTILE_WARPS) {
        TileChunk<Format, TOKEN_TILES> next;
        bool more = chunk + QTILE_WARPS < chunks;
        if (more) {
            next.load(tiles, params, group, x_rows, has_token, k, x_vectorized, chunks, padded_rows, row_tiles, first_tile,
                      chunk + QTILE_WARPS, lane);
        }
#pragma unroll
        for (int s = 0; s < Format::STEPS; ++s) {
#pragma unroll
            for (int i = 0; i < QTILE_TILES_PER_BLOCK; ++i) {
                if (first_tile + i >= row_tiles) continue;
                uint32_t a[4];
                Format::dequant(current.w[i], s, current.p[i], a);
#pragma unroll
                for (int nt = 0; nt < TOKEN_TILES; ++nt) {
                    Mma<__half>::run(acc[i][nt], a, current.x[nt][2 * s], current.x[nt][2 * s + 1]);
                }
            }
        }
        if (more) current = next;
    }

#pragma unroll
    for (int i = 0; i < QTILE_TILES_PER_BLOCK; ++i)
#pragma unroll
        for (int nt = 0; nt < TOKEN_TILES; ++nt)
#pragma unroll
            for (int c = 0; c < 4; ++c) {
                int row = i * QTILE_ROWS + (lane >> 2) + (c >= 2 ? 8 : 0);
                int token = nt * 8 + (lane & 3) * 2 + (c & 1);
                partial[warp][row][token] = acc[i][nt][c];
            }
    __syncthreads();
    for (int idx = threadIdx.x; idx < QTILE_TILES_PER_BLOCK * QTILE_ROWS * TOKENS; idx += QTILE_THREADS) {
        int local_row = idx / TOKENS;
        int local_token = idx % TOKENS;
        int row = first_tile * QTILE_ROWS + local_row;
        int t = token0 + local_token;
        if (row >= rows || t >= tokens) continue;
        float sum = 0.0f;
#pragma unroll
        for (int wi = 0; wi < QTILE_WARPS; ++wi) sum += partial[wi][local_row][local_token];
        store_out(out, static_cast<long>(t) * ldc + row, sum * Format::row_scale(params, row), accumulate != 0);
    }
}

constexpr int GGUF_WARPS = 8;
constexpr int GGUF_TOKENS = 16;

__device__ __forceinline__ float half_at(const uint16_t* p) {
    return __half2float(__ushort_as_half(__ldg(p)));
}

// Each format decodes one 32-element unit (unit u of a row: elements 32u .. 32u + 31) into fp32, in place from
// the GGUF blocks (BLOCK_ELEMENTS elements in BLOCK_BYTES bytes; a row's blocks are contiguous).
struct GgufQ8_0 {
    static constexpr int BLOCK_ELEMENTS = 32;
    static constexpr int BLOCK_BYTES = 34;  // f16 d, 32 x int8; value q * d
    static __device__ __forceinline__ void unit(const uint8_t* row, int u, float (&v)[32]) {
        const uint16_t* block = reinterpret_cast<const uint16_t*>(row + static_cast<long>(u) * BLOCK_BYTES);
        float d = half_at(block);
#pragma unroll
        for (int i = 0; i < 16; ++i) {
            uint32_t pair = __ldg(block + 1 + i);
            v[2 * i] = static_cast<float>(static_cast<int8_t>(pair & 0xFF)) * d;
            v[2 * i + 1] = static_cast<float>(static_cast<int8_t>(pair >> 8)) * d;
        }
    }
};

struct GgufQ4_0 {
    static constexpr int BLOCK_ELEMENTS = 32;
    static constexpr int BLOCK_BYTES = 18;  // f16 d, 16 bytes: element j < 16 low nibble of byte j, j + 16 high; (q - 8) * d
    static __device__ __forceinline__ void unit(const uint8_t* row, int u, float (&v)[32]) {
        const uint16_t* block = reinterpret_cast<const uint16_t*>(row + static_cast<long>(u) * BLOCK_BYTES);
        float d = half_at(block);
#pragma unroll
        for (int i = 0; i < 8; ++i) {
            uint32_t pair = __ldg(block + 1 + i);
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                uint32_t b = (pair >> (8 * h)) & 0xFF;
                v[2 * i + h] = static_cast<float>(static_cast<int>(b & 15) - 8) * d;
                v[2 * i + h + 16] = static_cast<float>(static_cast<int>(b >> 4) - 8) * d;
            }
        }
    }
};

// Q4_K super-block (144 bytes, 16-byte aligned when the row is): f16 d, f16 dmin, 12 bytes of 6-bit scales and
// mins for the 8 sub-blocks of 32, 128 bytes of nibbles (sub-block s: low (s even) or high nibbles of bytes
// 32 (s / 2) ..); value d * scale_s * q - dmin * min_s.
struct GgufQ4_K {
    static constexpr int BLOCK_ELEMENTS = 256;
    static constexpr int BLOCK_BYTES = 144;
    static __device__ __forceinline__ void unit(const uint8_t* row, int u, float (&v)[32]) {
        const uint8_t* block = row + static_cast<long>(u / 8) * BLOCK_BYTES;
        int sub = u % 8;
        const uint16_t* halves = reinterpret_cast<const uint16_t*>(block);
        float d = half_at(halves);
        float dmin = half_at(halves + 1);
        const uint8_t* sc = block + 4;
        int scale;
        int min;
        if (sub < 4) {
            scale = __ldg(sc + sub) & 63;
            min = __ldg(sc + sub + 4) & 63;
        } else {
            scale = (__ldg(sc + sub + 4) & 0xF) | ((__ldg(sc + sub - 4) >> 6) << 4);
            min = (__ldg(sc + sub + 4) >> 4) | ((__ldg(sc + sub) >> 6) << 4);
        }
        float ds = d * static_cast<float>(scale);
        float dm = dmin * static_cast<float>(min);
        const uint4* qs = reinterpret_cast<const uint4*>(block + 16 + 32 * (sub / 2));
        int shift = (sub & 1) * 4;
#pragma unroll
        for (int q = 0; q < 2; ++q) {
            uint4 raw = __ldg(qs + q);
            uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
            for (int w = 0; w < 4; ++w)
#pragma unroll
                for (int b = 0; b < 4; ++b) {
                    uint32_t code = (words[w] >> (8 * b + shift)) & 0xF;
                    v[16 * q + 4 * w + b] = ds * static_cast<float>(code) - dm;
                }
        }
    }
};

// Q6_K super-block (210 bytes, 2-byte aligned): ql[128] low 4 bits, qh[64] high 2 bits, int8 scales[16] (one per
// 16 elements), f16 d; element e = 128 h + 32 g + l: nibble g / 2 of ql[64 h + 32 (g % 2) + l], bits 2 g of
// qh[32 h + l]; value d * scale * (q - 32).
struct GgufQ6_K {
    static constexpr int BLOCK_ELEMENTS = 256;
    static constexpr int BLOCK_BYTES = 210;
    static __device__ __forceinline__ void unit(const uint8_t* row, int u, float (&v)[32]) {
        const uint8_t* block = row + static_cast<long>(u / 8) * BLOCK_BYTES;
        int h = (u % 8) / 4;
        int g = u % 4;
        float d = half_at(reinterpret_cast<const uint16_t*>(block + 208));
        uint32_t scales = __ldg(reinterpret_cast<const uint16_t*>(block + 192 + 2 * (u % 8)));
        float d0 = d * static_cast<float>(static_cast<int8_t>(scales & 0xFF));
        float d1 = d * static_cast<float>(static_cast<int8_t>(scales >> 8));
        const uint16_t* ql = reinterpret_cast<const uint16_t*>(block + 64 * h + 32 * (g % 2));
        const uint16_t* qh = reinterpret_cast<const uint16_t*>(block + 128 + 32 * h);
        int low_shift = (g / 2) * 4;
#pragma unroll
        for (int i = 0; i < 16; ++i) {
            uint32_t lows = __ldg(ql + i);
            uint32_t highs = __ldg(qh + i);
#pragma unroll
            for (int b = 0; b < 2; ++b) {
                int l = 2 * i + b;
                int low = static_cast<int>((lows >> (8 * b + low_shift)) & 0xF);
                int high = static_cast<int>((highs >> (8 * b + 2 * g)) & 3);
                v[l] = (l < 16 ? d0 : d1) * static_cast<float>((low | (high << 4)) - 32);
            }
        }
    }
};

// grid (ceil(rows / 8), ceil(tokens / 16)), block 256; k a multiple of the block, x 16-byte aligned.
// One warp per row; lane i takes the row's 32-element units i, i + 32, ...
template <typename Format, typename OutT>
__device__ void gguf_gemv(const uint8_t* w, const __half* x, OutT* out, int rows, int k, int tokens, long ldc, int accumulate) {
    int lane = threadIdx.x & 31;
    int row = blockIdx.x * GGUF_WARPS + (threadIdx.x >> 5);
    if (row >= rows) return;
    int token0 = blockIdx.y * GGUF_TOKENS;
    int count = min(GGUF_TOKENS, tokens - token0);
    int units = k / 32;
    const uint8_t* w_row = w + static_cast<long>(row) * (k / Format::BLOCK_ELEMENTS) * Format::BLOCK_BYTES;
    float acc[GGUF_TOKENS];
#pragma unroll
    for (int t = 0; t < GGUF_TOKENS; ++t) acc[t] = 0.0f;

    for (int u = lane; u < units; u += 32) {
        float v[32];
        Format::unit(w_row, u, v);
#pragma unroll
        for (int t = 0; t < GGUF_TOKENS; ++t) {
            if (t >= count) break;
            const uint4* xs = reinterpret_cast<const uint4*>(x + static_cast<long>(token0 + t) * k + u * 32);
            float sum = 0.0f;
#pragma unroll
            for (int q = 0; q < 4; ++q) {
                uint4 raw = __ldg(xs + q);
                uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    float2 f = __half22float2(bits_to_half2(words[e]));
                    sum += v[8 * q + 2 * e] * f.x + v[8 * q + 2 * e + 1] * f.y;
                }
            }
            acc[t] += sum;
        }
    }
#pragma unroll
    for (int t = 0; t < GGUF_TOKENS; ++t) {
        if (t >= count) break;
        float sum = warp_sum(acc[t]);
        if (lane == 0) store_out(out, static_cast<long>(token0 + t) * ldc + row, sum, accumulate != 0);
    }
}

// Prefill of many tokens: the weights dequantized to fp16 [rows, k] row-major, for the tensor-core GEMM.
// GGUF: grid ceil(rows / 8), block 256 (a warp per row, a 32-element unit per lane).
template <typename Format>
__device__ void gguf_dequantize(const uint8_t* w, __half* out, int rows, int k) {
    int lane = threadIdx.x & 31;
    int row = blockIdx.x * GGUF_WARPS + (threadIdx.x >> 5);
    if (row >= rows) return;
    const uint8_t* w_row = w + static_cast<long>(row) * (k / Format::BLOCK_ELEMENTS) * Format::BLOCK_BYTES;
    for (int u = lane; u < k / 32; u += 32) {
        float v[32];
        Format::unit(w_row, u, v);
        uint4* dst = reinterpret_cast<uint4*>(out + static_cast<long>(row) * k + u * 32);
#pragma unroll
        for (int q = 0; q < 4; ++q) {
            uint4 packed;
            packed.x = half2_to_bits(__floats2half2_rn(v[8 * q], v[8 * q + 1]));
            packed.y = half2_to_bits(__floats2half2_rn(v[8 * q + 2], v[8 * q + 3]));
            packed.z = half2_to_bits(__floats2half2_rn(v[8 * q + 4], v[8 * q + 5]));
            packed.w = half2_to_bits(__floats2half2_rn(v[8 * q + 6], v[8 * q + 7]));
            dst[q] = packed;
        }
    }
}

// Tiles: a warp per (tile, chunk); grid ceil(row_tiles * chunks / 8), block 256. k even (INT4: a multiple of 32;
// FP8 with odd k goes element by element).
template <typename Format>
__device__ void tile_dequantize(const uint4* tiles, const void* params, int group, __half* out, int rows, int k) {
    int lane = threadIdx.x & 31;
    int row_tiles = (rows + QTILE_ROWS - 1) / QTILE_ROWS;
    int chunks = (k + Format::CHUNK_K - 1) / Format::CHUNK_K;
    long piece = static_cast<long>(blockIdx.x) * QTILE_WARPS + (threadIdx.x >> 5);
    if (piece >= static_cast<long>(row_tiles) * chunks) return;
    int tile = static_cast<int>(piece / chunks);
    int chunk = static_cast<int>(piece % chunks);
    uint4 w = __ldg(tiles + piece * 32 + lane);
    typename Format::Params p = Format::load(params, group, row_tiles * QTILE_ROWS, chunk, lane, tile * QTILE_ROWS);
    int run = chunk * Format::CHUNK_K + (lane & 3) * (Format::CHUNK_K / 4);
#pragma unroll
    for (int s = 0; s < Format::STEPS; ++s) {
        uint32_t a[4];
        Format::dequant(w, s, p, a);
#pragma unroll
        for (int pair = 0; pair < 4; ++pair) {
            int row = tile * QTILE_ROWS + (lane >> 2) + 8 * (pair & 1);
            int col = run + 4 * s + 2 * (pair >> 1);
            if (row >= rows || col >= k) continue;
            float scale = Format::row_scale(params, row);
            float2 f = __half22float2(bits_to_half2(a[pair]));
            __half* dst = out + static_cast<long>(row) * k + col;
            if ((k & 1) == 0) {
                *reinterpret_cast<__half2*>(dst) = __floats2half2_rn(f.x * scale, f.y * scale);
            } else {
                dst[0] = __float2half_rn(f.x * scale);
                if (col + 1 < k) dst[1] = __float2half_rn(f.y * scale);
            }
        }
    }
}

}  // namespace flashj

#define FLASHJ_TILE_GEMV(NAME, FORMAT, TOKEN_TILES, OUT_SUFFIX, OutT)                                                   \
    extern "C" __global__ void __launch_bounds__(flashj::QTILE_THREADS) NAME##_f16_##OUT_SUFFIX(                        \
        const uint4* tiles, const void* params, int group, const __half* x, OutT* out, int rows, int k, int tokens,     \
        long ldc, int accumulate, int x_vectorized) {                                                                    \
        flashj::tile_gemv<FORMAT, TOKEN_TILES, OutT>(tiles, params, group, x, out, rows, k, tokens, ldc, accumulate,   \
                                                     x_vectorized);                                                      \
    }

#define FLASHJ_GGUF_GEMV(NAME, FORMAT, OUT_SUFFIX, OutT)                                                                   \
    extern "C" __global__ void __launch_bounds__(flashj::GGUF_WARPS * 32) NAME##_f16_##OUT_SUFFIX(                      \
        const uint8_t* w, const __half* x, OutT* out, int rows, int k, int tokens, long ldc, int accumulate) {          \
        flashj::gguf_gemv<FORMAT, OutT>(w, x, out, rows, k, tokens, ldc, accumulate);                                      \
    }

#define FLASHJ_GGUF_DEQUANTIZE(NAME, FORMAT)                                                                  \
    extern "C" __global__ void __launch_bounds__(flashj::GGUF_WARPS * 32) NAME(const uint8_t* w, __half* out, int rows, \
                                                                               int k) {                                  \
        flashj::gguf_dequantize<FORMAT>(w, out, rows, k);                                                              \
    }
#define FLASHJ_TILE_DEQUANTIZE(NAME, FORMAT)                                                                  \
    extern "C" __global__ void __launch_bounds__(flashj::QTILE_THREADS) NAME(const uint4* tiles, const void* params,    \
                                                                           int group, __half* out, int rows, int k) {  \
        flashj::tile_dequantize<FORMAT>(tiles, params, group, out, rows, k);                                           \
    }
FLASHJ_GGUF_DEQUANTIZE(q8_0_dequantize_f16, flashj::GgufQ8_0)
FLASHJ_GGUF_DEQUANTIZE(q4_0_dequantize_f16, flashj::GgufQ4_0)
FLASHJ_GGUF_DEQUANTIZE(q4_k_dequantize_f16, flashj::GgufQ4_K)
FLASHJ_GGUF_DEQUANTIZE(q6_k_dequantize_f16, flashj::GgufQ6_K)
FLASHJ_TILE_DEQUANTIZE(int4_dequantize_f16, flashj::Int4Tiles)
FLASHJ_TILE_DEQUANTIZE(fp8_dequantize_f16, flashj::Fp8Tiles)

#define FLASHJ_QUANT_GEMV_OUT(OUT_SUFFIX, OutT)                                  \
    FLASHJ_TILE_GEMV(int4_gemv_t8, flashj::Int4Tiles, 1, OUT_SUFFIX, OutT)       \
    FLASHJ_TILE_GEMV(int4_gemv_t16, flashj::Int4Tiles, 2, OUT_SUFFIX, OutT)      \
    FLASHJ_TILE_GEMV(fp8_gemv_t8, flashj::Fp8Tiles, 1, OUT_SUFFIX, OutT)         \
    FLASHJ_TILE_GEMV(fp8_gemv_t16, flashj::Fp8Tiles, 2, OUT_SUFFIX, OutT)        \
    FLASHJ_GGUF_GEMV(q8_0_gemv, flashj::GgufQ8_0, OUT_SUFFIX, OutT)              \
    FLASHJ_GGUF_GEMV(q4_0_gemv, flashj::GgufQ4_0, OUT_SUFFIX, OutT)              \
    FLASHJ_GGUF_GEMV(q4_k_gemv, flashj::GgufQ4_K, OUT_SUFFIX, OutT)              \
    FLASHJ_GGUF_GEMV(q6_k_gemv, flashj::GgufQ6_K, OUT_SUFFIX, OutT)

FLASHJ_QUANT_GEMV_OUT(f16, __half)
FLASHJ_QUANT_GEMV_OUT(f32, float)
