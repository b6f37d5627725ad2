// out[outOff + b * rows + r] = sum_c W[r, c] * x[xOff + b * cols + c]: W is [rows, cols] row-major,
// x is [batch, cols], out is [batch, rows]. F32 and F16 (vload_half) weights, f32 accumulation.

#ifndef TILE
#define TILE 16
#endif

#define W_F32(w, i) ((w)[i])
#define W_F16(w, i) vload_half((i), (w))

// Matrix-vector form for small batches: one work-group per (row, token), a local-memory tree
// reduction over the columns (power-of-two work-group size). Weights are streamed once per token.
#define MATVEC(NAME, WTYPE, LOAD)                                                                     \
__kernel void NAME(__global const WTYPE* w, __global const float* x, __global float* out,              \
                   int rows, int cols, int xOff, int outOff, __local float* scratch) {                \
    int r = get_group_id(0);                                                                          \
    int b = get_group_id(1);                                                                          \
    int lid = get_local_id(0);                                                                        \
    int n = get_local_size(0);                                                                        \
    size_t wRow = (size_t) r * cols;                                                                  \
    __global const float* xb = x + xOff + (size_t) b * cols;                                          \
    float sum = 0.0f;                                                                                 \
    for (int c = lid; c < cols; c += n) {                                                             \
        sum += LOAD(w, wRow + c) * xb[c];                                                             \
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

MATVEC(matvec_f32, float, W_F32)
MATVEC(matvec_f16, half, W_F16)

// Tiled form for prefill batches: a TILE x TILE work-group computes a TILE x TILE block of out,
// staging TILE x TILE tiles of W and x in local memory (padded by one column against bank conflicts).
// Local id 0 runs along rows so that stores to out are contiguous.
#define MATMUL(NAME, WTYPE, LOAD)                                                                     \
__kernel void NAME(__global const WTYPE* w, __global const float* x, __global float* out,              \
                   int rows, int cols, int batch, int xOff, int outOff) {                             \
    __local float wTile[TILE][TILE + 1];                                                              \
    __local float xTile[TILE][TILE + 1];                                                              \
    int lr = get_local_id(0);                                                                         \
    int lb = get_local_id(1);                                                                         \
    int rowBase = get_group_id(0) * TILE;                                                             \
    int batchBase = get_group_id(1) * TILE;                                                           \
    float acc = 0.0f;                                                                                 \
    for (int c0 = 0; c0 < cols; c0 += TILE) {                                                         \
        int c = c0 + lr;                                                                              \
        int wr = rowBase + lb;                                                                        \
        int xb = batchBase + lb;                                                                      \
        wTile[lb][lr] = (wr < rows && c < cols) ? LOAD(w, (size_t) wr * cols + c) : 0.0f;             \
        xTile[lb][lr] = (xb < batch && c < cols) ? x[xOff + (size_t) xb * cols + c] : 0.0f;           \
        barrier(CLK_LOCAL_MEM_FENCE);                                                                 \
        for (int k = 0; k < TILE; k++) {                                                              \
            acc += wTile[lr][k] * xTile[lb][k];                                                       \
        }                                                                                             \
        barrier(CLK_LOCAL_MEM_FENCE);                                                                 \
    }                                                                                                 \
    int r = rowBase + lr;                                                                             \
    int b = batchBase + lb;                                                                           \
    if (r < rows && b < batch) {                                                                      \
        out[outOff + (size_t) b * rows + r] = acc;                                                    \
    }                                                                                                 \
}

MATMUL(matmul_f32, float, W_F32)
MATMUL(matmul_f16, half, W_F16)
