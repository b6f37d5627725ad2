// Matrix products and embedding lookups with GGUF block-quantized weights, dequantized inside the
// kernels: out[outOff + b * rows + r] = sum_c W[r, c] * x[xOff + b * cols + c], f32 accumulation.
// W is [rows, cols] in the device layout written by QuantLayout.java (the file's bytes, moved):
//   Q8_0  code region: int8 q[32] per block;                      then one half d per block.
//   Q4_0  code region: 16 bytes per block (element j < 16 in the low nibble of byte j, j + 16 in
//         its high nibble);                                         then one half d per block.
//   Q5_0  code region: u32 qh (5th bits) + Q4_0's 16 bytes per block; then one half d per block.
//   Q6_K  code region: ql[128] qh[64] int8 scales[16] per 256-element super-block; then one half d each.
//   Q4_K  whole 144-byte super-blocks: half d, half dmin, scales[12] (packed 6-bit), qs[128].
//   Q5_K  whole 176-byte super-blocks: Q4_K's, with qh[32] (5th bits) between scales and qs.
// Block b of row r is block r * (cols / blockSize) + b. Rows are whole blocks (checked on the host).
// Every kernel steps through a row 32 elements (one block, or one sub-block of a super-block) at a
// time; each format defines T_dot32 (a 32-element dot product with x), T_at (one element) and T_at4
// (four consecutive elements from a multiple of 4).
// Halves are read with vload_half: no cl_khr_fp16 needed.

#ifndef TILE
#define TILE 16
#endif
#ifndef MAX_MATVEC_BATCH
#define MAX_MATVEC_BATCH 4
#endif

#define W_ARGS __global const uchar* w, int rows, int cols

// ---- Q8_0: w = d * q

inline float q8_0_scale(W_ARGS, size_t block) {
    return vload_half(block, (__global const half*) (w + (size_t) rows * cols));
}

inline float q8_0_dot32(W_ARGS, int row, int sub, __global const float* x) {
    size_t block = (size_t) row * (cols / 32) + sub;
    __global const char* q = (__global const char*) (w + block * 32);
    float s = 0.0f;
    for (int i = 0; i < 32; i += 4) {
        s += dot(convert_float4(vload4(0, q + i)), vload4(0, x + i));
    }
    return q8_0_scale(w, rows, cols, block) * s;
}

inline float q8_0_at(W_ARGS, int row, int col) {
    size_t block = (size_t) row * (cols / 32) + col / 32;
    char q = ((__global const char*) w)[block * 32 + col % 32];
    return q8_0_scale(w, rows, cols, block) * q;
}

inline float4 q8_0_at4(W_ARGS, int row, int col) {
    size_t block = (size_t) row * (cols / 32) + col / 32;
    char4 q = vload4(0, (__global const char*) w + block * 32 + col % 32);
    return q8_0_scale(w, rows, cols, block) * convert_float4(q);
}

// ---- Q4_0: w = d * (q - 8)

inline float q4_0_scale(W_ARGS, size_t block) {
    return vload_half(block, (__global const half*) (w + (size_t) rows * (cols / 2)));
}

inline float q4_0_dot32(W_ARGS, int row, int sub, __global const float* x) {
    size_t block = (size_t) row * (cols / 32) + sub;
    __global const uchar* q = w + block * 16;
    float s = 0.0f;
    for (int i = 0; i < 16; i += 4) {
        uchar4 b = vload4(0, q + i);
        float4 lo = convert_float4(b & (uchar4) (0xF)) - 8.0f;
        float4 hi = convert_float4(b >> (uchar4) (4)) - 8.0f;
        s += dot(lo, vload4(0, x + i)) + dot(hi, vload4(0, x + 16 + i));
    }
    return q4_0_scale(w, rows, cols, block) * s;
}

inline float q4_0_at(W_ARGS, int row, int col) {
    size_t block = (size_t) row * (cols / 32) + col / 32;
    int j = col % 32;
    uchar b = w[block * 16 + j % 16];
    int q = j < 16 ? (b & 0xF) : (b >> 4);
    return q4_0_scale(w, rows, cols, block) * (q - 8);
}

inline float4 q4_0_at4(W_ARGS, int row, int col) {
    size_t block = (size_t) row * (cols / 32) + col / 32;
    int j = col % 32;
    uchar4 b = vload4(0, w + block * 16 + j % 16);
    uchar4 q = j < 16 ? (b & (uchar4) (0xF)) : (b >> (uchar4) (4));
    return q4_0_scale(w, rows, cols, block) * (convert_float4(q) - 8.0f);
}

// ---- Q5_0: w = d * (q - 16), q's low 4 bits a nibble as in Q4_0, its 5th bit bit j of the block's
// little-endian u32 qh (codes: qh, then 16 nibble bytes: 20 bytes per block).

inline float q5_0_scale(W_ARGS, size_t block) {
    return vload_half(block, (__global const half*) (w + (size_t) rows * (cols / 32) * 20));
}

inline uint q5_0_high_bits(__global const uchar* p) {
    return (uint) p[0] | ((uint) p[1] << 8) | ((uint) p[2] << 16) | ((uint) p[3] << 24);
}

// Elements j..j+3 of a block (j a multiple of 4) as integers 0..31.
inline int4 q5_0_codes4(__global const uchar* p, uint qh, int j) {
    uchar4 b = vload4(0, p + 4 + j % 16);
    uchar4 low = j < 16 ? (b & (uchar4) (0xF)) : (b >> (uchar4) (4));
    uint4 shift = (uint4) (j, j + 1, j + 2, j + 3);
    int4 high = convert_int4(((uint4) (qh) >> shift) & (uint4) (1));
    return convert_int4(low) | (high << 4);
}

inline float q5_0_dot32(W_ARGS, int row, int sub, __global const float* x) {
    size_t block = (size_t) row * (cols / 32) + sub;
    __global const uchar* p = w + block * 20;
    uint qh = q5_0_high_bits(p);
    float s = 0.0f;
    for (int j = 0; j < 32; j += 4) {
        s += dot(convert_float4(q5_0_codes4(p, qh, j) - 16), vload4(0, x + j));
    }
    return q5_0_scale(w, rows, cols, block) * s;
}

inline float4 q5_0_at4(W_ARGS, int row, int col) {
    size_t block = (size_t) row * (cols / 32) + col / 32;
    __global const uchar* p = w + block * 20;
    return q5_0_scale(w, rows, cols, block) * convert_float4(q5_0_codes4(p, q5_0_high_bits(p), col % 32) - 16);
}

inline float q5_0_at(W_ARGS, int row, int col) {
    size_t block = (size_t) row * (cols / 32) + col / 32;
    __global const uchar* p = w + block * 20;
    int j = col % 32;
    uchar b = p[4 + j % 16];
    int q = (j < 16 ? (b & 0xF) : (b >> 4)) | (((q5_0_high_bits(p) >> j) & 1) << 4);
    return q5_0_scale(w, rows, cols, block) * (q - 16);
}

// ---- Q4_K: sub-block j (32 elements) of a super-block: w = d * scale_j * q - dmin * min_j, q the
// low (j even) or high (j odd) nibbles of qs[32 * (j / 2) ..].

inline __global const uchar* q4_k_super(W_ARGS, int row, int col) {
    return w + ((size_t) row * (cols / 256) + col / 256) * 144;
}

// (d * scale_j, dmin * min_j) from the 12 packed bytes: j < 4 in the low 6 bits of bytes j and j + 4;
// j >= 4 as a nibble of byte j + 4 plus the top 2 bits of bytes j - 4 (scale) and j (min).
inline float2 q4_k_scale_min(__global const uchar* sb, int j) {
    __global const uchar* s = sb + 4;
    int scale;
    int min;
    if (j < 4) {
        scale = s[j] & 63;
        min = s[j + 4] & 63;
    } else {
        scale = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
    __global const half* dm = (__global const half*) sb;
    return (float2) (vload_half(0, dm) * scale, vload_half(1, dm) * min);
}

inline float q4_k_dot32(W_ARGS, int row, int sub, __global const float* x) {
    __global const uchar* sb = q4_k_super(w, rows, cols, row, sub * 32);
    int j = sub % 8;
    __global const uchar* q = sb + 16 + 32 * (j / 2);
    uchar4 shift = (uchar4) ((uchar) (4 * (j % 2)));
    float qx = 0.0f;
    float xs = 0.0f;
    for (int i = 0; i < 32; i += 4) {
        float4 v = convert_float4((vload4(0, q + i) >> shift) & (uchar4) (0xF));
        float4 xv = vload4(0, x + i);
        qx += dot(v, xv);
        xs += dot(xv, (float4) (1.0f));
    }
    float2 sm = q4_k_scale_min(sb, j);
    return sm.x * qx - sm.y * xs;
}

inline float q4_k_at(W_ARGS, int row, int col) {
    __global const uchar* sb = q4_k_super(w, rows, cols, row, col);
    int j = (col % 256) / 32;
    uchar b = sb[16 + 32 * (j / 2) + col % 32];
    int q = j % 2 == 0 ? (b & 0xF) : (b >> 4);
    float2 sm = q4_k_scale_min(sb, j);
    return sm.x * q - sm.y;
}

inline float4 q4_k_at4(W_ARGS, int row, int col) {
    __global const uchar* sb = q4_k_super(w, rows, cols, row, col);
    int j = (col % 256) / 32;
    uchar4 b = vload4(0, sb + 16 + 32 * (j / 2) + col % 32);
    uchar4 q = j % 2 == 0 ? (b & (uchar4) (0xF)) : (b >> (uchar4) (4));
    float2 sm = q4_k_scale_min(sb, j);
    return sm.x * convert_float4(q) - sm.y;
}

// ---- Q5_K: Q4_K's super-block with qh[32] after the scales (176 bytes: d, dmin, scales[12], qh[32],
// qs[128]); bit j of qh[l] is the 5th bit of element l of sub-block j.

inline __global const uchar* q5_k_super(W_ARGS, int row, int col) {
    return w + ((size_t) row * (cols / 256) + col / 256) * 176;
}

// Elements l..l+3 (l a multiple of 4) of sub-block j as integers 0..31.
inline float4 q5_k_codes4(__global const uchar* sb, int j, int l) {
    uchar4 b = vload4(0, sb + 48 + 32 * (j / 2) + l);
    uchar4 low = j % 2 == 0 ? (b & (uchar4) (0xF)) : (b >> (uchar4) (4));
    uchar4 high = (vload4(0, sb + 16 + l) >> (uchar4) ((uchar) j)) & (uchar4) (1);
    return convert_float4(low | (high << (uchar4) (4)));
}

inline float q5_k_dot32(W_ARGS, int row, int sub, __global const float* x) {
    __global const uchar* sb = q5_k_super(w, rows, cols, row, sub * 32);
    int j = sub % 8;
    float qx = 0.0f;
    float xs = 0.0f;
    for (int l = 0; l < 32; l += 4) {
        float4 xv = vload4(0, x + l);
        qx += dot(q5_k_codes4(sb, j, l), xv);
        xs += dot(xv, (float4) (1.0f));
    }
    float2 sm = q4_k_scale_min(sb, j);
    return sm.x * qx - sm.y * xs;
}

inline float4 q5_k_at4(W_ARGS, int row, int col) {
    __global const uchar* sb = q5_k_super(w, rows, cols, row, col);
    int j = (col % 256) / 32;
    float2 sm = q4_k_scale_min(sb, j);
    return sm.x * q5_k_codes4(sb, j, col % 32) - sm.y;
}

inline float q5_k_at(W_ARGS, int row, int col) {
    __global const uchar* sb = q5_k_super(w, rows, cols, row, col);
    int j = (col % 256) / 32;
    int l = col % 32;
    uchar b = sb[48 + 32 * (j / 2) + l];
    int q = (j % 2 == 0 ? (b & 0xF) : (b >> 4)) | (((sb[16 + l] >> j) & 1) << 4);
    float2 sm = q4_k_scale_min(sb, j);
    return sm.x * q - sm.y;
}

// ---- Q6_K: element e = 128h + 32g + l of a super-block: w = d * scales[e / 16] * (q - 32), q's low
// 4 bits a nibble (g / 2) of ql[64h + 32(g % 2) + l], its high 2 bits bits 2g of qh[32h + l].

inline float q6_k_scale(W_ARGS, size_t super) {
    return vload_half(super, (__global const half*) (w + (size_t) rows * (cols / 256) * 208));
}

inline float q6_k_dot16(__global const uchar* ql, __global const uchar* qh, uchar4 lowShift, uchar4 highShift,
                        __global const float* x) {
    float s = 0.0f;
    for (int i = 0; i < 16; i += 4) {
        uchar4 lo = (vload4(0, ql + i) >> lowShift) & (uchar4) (0xF);
        uchar4 hi = (vload4(0, qh + i) >> highShift) & (uchar4) (3);
        float4 q = convert_float4(convert_int4(lo | (hi << (uchar4) (4))) - 32);
        s += dot(q, vload4(0, x + i));
    }
    return s;
}

inline float q6_k_dot32(W_ARGS, int row, int sub, __global const float* x) {
    size_t super = (size_t) row * (cols / 256) + sub / 8;
    __global const uchar* body = w + super * 208;
    int j = sub % 8;
    int h = j / 4;
    int g = j % 4;
    __global const uchar* ql = body + 64 * h + 32 * (g % 2);
    __global const uchar* qh = body + 128 + 32 * h;
    __global const char* scales = (__global const char*) (body + 192 + 8 * h + 2 * g);
    uchar4 lowShift = (uchar4) ((uchar) (4 * (g / 2)));
    uchar4 highShift = (uchar4) ((uchar) (2 * g));
    float s0 = q6_k_dot16(ql, qh, lowShift, highShift, x);
    float s1 = q6_k_dot16(ql + 16, qh + 16, lowShift, highShift, x + 16);
    return q6_k_scale(w, rows, cols, super) * (scales[0] * s0 + scales[1] * s1);
}

inline float q6_k_at(W_ARGS, int row, int col) {
    size_t super = (size_t) row * (cols / 256) + col / 256;
    __global const uchar* body = w + super * 208;
    int e = col % 256;
    int h = e / 128;
    int g = (e % 128) / 32;
    int l = e % 32;
    uchar b = body[64 * h + 32 * (g % 2) + l];
    int low = g < 2 ? (b & 0xF) : (b >> 4);
    int high = (body[128 + 32 * h + l] >> (2 * g)) & 3;
    char scale = ((__global const char*) body)[192 + e / 16];
    return q6_k_scale(w, rows, cols, super) * scale * ((low | (high << 4)) - 32);
}

// Four elements from col (a multiple of 4): same h, g and scale.
inline float4 q6_k_at4(W_ARGS, int row, int col) {
    size_t super = (size_t) row * (cols / 256) + col / 256;
    __global const uchar* body = w + super * 208;
    int e = col % 256;
    int h = e / 128;
    int g = (e % 128) / 32;
    int l = e % 32;
    uchar4 b = vload4(0, body + 64 * h + 32 * (g % 2) + l);
    uchar4 low = g < 2 ? (b & (uchar4) (0xF)) : (b >> (uchar4) (4));
    uchar4 high = (vload4(0, body + 128 + 32 * h + l) >> (uchar4) ((uchar) (2 * g))) & (uchar4) (3);
    char scale = ((__global const char*) body)[192 + e / 16];
    float4 q = convert_float4(convert_int4(low | (high << (uchar4) (4))) - 32);
    return q6_k_scale(w, rows, cols, super) * scale * q;
}

// ---- Kernels, one set per format.

// Matrix-vector form for one token (decode): one work-group per row; work-items take 32-element
// blocks in turn, then a local-memory tree reduction (power-of-two work-group size). Group id 1
// selects the token (the host launches one).
#define QUANT_MATVEC(T)                                                                               \
__kernel void matvec_##T(W_ARGS, __global const float* x, __global float* out, int xOff, int outOff,  \
                         __local float* scratch) {                                                    \
    int r = get_group_id(0);                                                                          \
    int b = get_group_id(1);                                                                          \
    int lid = get_local_id(0);                                                                        \
    int n = get_local_size(0);                                                                        \
    __global const float* xb = x + xOff + (size_t) b * cols;                                          \
    float sum = 0.0f;                                                                                 \
    for (int s = lid; s < cols / 32; s += n) {                                                        \
        sum += T##_dot32(w, rows, cols, r, s, xb + s * 32);                                           \
    }                                                                                                 \
    scratch[lid] = sum;                                                                               \
    barrier(CLK_LOCAL_MEM_FENCE);                                                                     \
    for (int stride = n / 2; stride > 0; stride >>= 1) {                                              \
        if (lid < stride) {                                                                           \
            scratch[lid] += scratch[lid + stride];                                                    \
        }                                                                                             \
        barrier(CLK_LOCAL_MEM_FENCE);                                                                 \
    }                                                                                                 \
    if (lid == 0) {                                                                                   \
        out[outOff + (size_t) b * rows + r] = scratch[0];                                             \
    }                                                                                                 \
}

// Matrix-vector form for 2..MAX_MATVEC_BATCH tokens (batched decode): one work-group per row; each
// 32-element block is dequantized once into private memory and multiplied with every token's
// activations, then one local-memory tree reduction per token.
#define QUANT_MATVEC_MULTI(T)                                                                         \
__kernel void matvec_multi_##T(W_ARGS, __global const float* x, __global float* out, int batch,       \
                               int xOff, int outOff, __local float* scratch) {                        \
    int r = get_group_id(0);                                                                          \
    int lid = get_local_id(0);                                                                        \
    int n = get_local_size(0);                                                                        \
    float sum[MAX_MATVEC_BATCH];                                                                      \
    for (int b = 0; b < MAX_MATVEC_BATCH; b++) {                                                      \
        sum[b] = 0.0f;                                                                                \
    }                                                                                                 \
    for (int s = lid; s < cols / 32; s += n) {                                                        \
        float4 wv[8];                                                                                 \
        for (int i = 0; i < 8; i++) {                                                                 \
            wv[i] = T##_at4(w, rows, cols, r, s * 32 + 4 * i);                                        \
        }                                                                                             \
        for (int b = 0; b < batch; b++) {                                                             \
            __global const float* xb = x + xOff + (size_t) b * cols + s * 32;                         \
            float acc = 0.0f;                                                                         \
            for (int i = 0; i < 8; i++) {                                                             \
                acc += dot(wv[i], vload4(i, xb));                                                     \
            }                                                                                         \
            sum[b] += acc;                                                                            \
        }                                                                                             \
    }                                                                                                 \
    for (int b = 0; b < MAX_MATVEC_BATCH; b++) {                                                      \
        scratch[b * n + lid] = sum[b];                                                                \
    }                                                                                                 \
    barrier(CLK_LOCAL_MEM_FENCE);                                                                     \
    for (int stride = n / 2; stride > 0; stride >>= 1) {                                              \
        if (lid < stride) {                                                                           \
            for (int b = 0; b < batch; b++) {                                                         \
                scratch[b * n + lid] += scratch[b * n + lid + stride];                                \
            }                                                                                         \
        }                                                                                             \
        barrier(CLK_LOCAL_MEM_FENCE);                                                                 \
    }                                                                                                 \
    if (lid == 0) {                                                                                   \
        for (int b = 0; b < batch; b++) {                                                             \
            out[outOff + (size_t) b * rows + r] = scratch[b * n];                                     \
        }                                                                                             \
    }                                                                                                 \
}

// Tiled form for prefill batches: a TILE x TILE work-group computes a TILE x TILE block of out. Per
// 32-column step it dequantizes a TILE x 32 weight tile into local memory once (four elements per
// work-item, sharing one scale) and uses each weight for TILE tokens; tiles are stored k-major.
// Local id 0 runs along rows so that stores to out are contiguous.
#define QUANT_MATMUL(T)                                                                               \
__kernel void matmul_##T(W_ARGS, __global const float* x, __global float* out, int batch, int xOff,  \
                         int outOff) {                                                                \
    __local float wTile[32][TILE + 1];                                                                \
    __local float xTile[32][TILE + 1];                                                                \
    int lr = get_local_id(0);                                                                         \
    int lb = get_local_id(1);                                                                         \
    int lid = lb * TILE + lr;                                                                         \
    int rowBase = get_group_id(0) * TILE;                                                             \
    int batchBase = get_group_id(1) * TILE;                                                           \
    float acc = 0.0f;                                                                                 \
    for (int c0 = 0; c0 < cols; c0 += 32) {                                                           \
        for (int e = lid; e < TILE * 8; e += TILE * TILE) {                                           \
            int t = e / 8;                                                                            \
            int c = e % 8 * 4;                                                                        \
            int wr = rowBase + t;                                                                     \
            int xb = batchBase + t;                                                                   \
            float4 wv = wr < rows ? T##_at4(w, rows, cols, wr, c0 + c) : (float4) (0.0f);             \
            float4 xv = xb < batch ? vload4(0, x + xOff + (size_t) xb * cols + c0 + c) : (float4) (0.0f); \
            wTile[c][t] = wv.x;                                                                       \
            wTile[c + 1][t] = wv.y;                                                                   \
            wTile[c + 2][t] = wv.z;                                                                   \
            wTile[c + 3][t] = wv.w;                                                                   \
            xTile[c][t] = xv.x;                                                                       \
            xTile[c + 1][t] = xv.y;                                                                   \
            xTile[c + 2][t] = xv.z;                                                                   \
            xTile[c + 3][t] = xv.w;                                                                   \
        }                                                                                             \
        barrier(CLK_LOCAL_MEM_FENCE);                                                                 \
        for (int k = 0; k < 32; k++) {                                                                \
            acc += wTile[k][lr] * xTile[k][lb];                                                       \
        }                                                                                             \
        barrier(CLK_LOCAL_MEM_FENCE);                                                                 \
    }                                                                                                 \
    int r = rowBase + lr;                                                                             \
    int b = batchBase + lb;                                                                           \
    if (r < rows && b < batch) {                                                                      \
        out[outOff + (size_t) b * rows + r] = acc;                                                    \
    }                                                                                                 \
}

// out[t, :] = W[ids[t], :] dequantized, for t < count (global size [cols rounded up, count]).
#define QUANT_EMBEDDING(T)                                                                            \
__kernel void embedding_##T(W_ARGS, __global const int* ids, __global float* out) {                  \
    int i = get_global_id(0);                                                                         \
    int t = get_global_id(1);                                                                         \
    if (i < cols) {                                                                                   \
        out[(size_t) t * cols + i] = T##_at(w, rows, cols, ids[t], i);                                \
    }                                                                                                 \
}

#define QUANT_KERNELS(T) QUANT_MATVEC(T) QUANT_MATVEC_MULTI(T) QUANT_MATMUL(T) QUANT_EMBEDDING(T)

QUANT_KERNELS(q8_0)
QUANT_KERNELS(q4_0)
QUANT_KERNELS(q5_0)
QUANT_KERNELS(q4_k)
QUANT_KERNELS(q5_k)
QUANT_KERNELS(q6_k)
