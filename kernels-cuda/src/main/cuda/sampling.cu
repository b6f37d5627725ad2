// Device-side sampling support: argmax and top-k over fp32 logits, so decode can read back a few
// numbers instead of the whole vocabulary.
#include "common.cuh"

namespace flashj {

// Block-wide argmax; ties go to the lowest index (like a sequential scan). Every thread gets the result.
__device__ void block_argmax(float& value, int& index, float* values32, int* indices32) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        float v = __shfl_xor_sync(0xffffffffu, value, offset);
        int i = __shfl_xor_sync(0xffffffffu, index, offset);
        if (v > value || (v == value && i < index)) {
            value = v;
            index = i;
        }
    }
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) {
        values32[warp] = value;
        indices32[warp] = index;
    }
    __syncthreads();
    int warps = blockDim.x >> 5;
    value = lane < warps ? values32[lane] : -INFINITY;
    index = lane < warps ? indices32[lane] : 0x7fffffff;
    for (int offset = 16; offset > 0; offset >>= 1) {
        float v = __shfl_xor_sync(0xffffffffu, value, offset);
        int i = __shfl_xor_sync(0xffffffffu, index, offset);
        if (v > value || (v == value && i < index)) {
            value = v;
            index = i;
        }
    }
}

__device__ void scan_max(const float* x, int n, float& value, int& index) {
    value = -INFINITY;
    index = 0x7fffffff;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        float v = x[i];
        if (v > value) {  // i grows per thread, so the first maximum is kept
            value = v;
            index = i;
        }
    }
}

}  // namespace flashj

// result_index[0], result_value[0] = argmax of x[0..n). NaNs are never picked. grid 1, block 1024.
extern "C" __global__ void argmax_f32(const float* x, int n, int* result_index, float* result_value) {
    __shared__ float values32[32];
    __shared__ int indices32[32];
    float value;
    int index;
    flashj::scan_max(x, n, value, index);
    flashj::block_argmax(value, index, values32, indices32);
    if (threadIdx.x == 0) {
        result_index[0] = index;
        result_value[0] = value;
    }
}

// The k largest of x[0..n) in descending order (ties by lower index), by k rounds of argmax over a
// scratch copy where each winner is replaced by -inf. scratch: fp32 [n]. grid 1, block 1024. For the
// small k that sampling uses (k <= 100) this costs k passes over the logits.
extern "C" __global__ void topk_f32(const float* x, float* scratch, int n, int k, int* top_indices, float* top_values) {
    __shared__ float values32[32];
    __shared__ int indices32[32];
    for (int i = threadIdx.x; i < n; i += blockDim.x) scratch[i] = x[i];
    __syncthreads();
    for (int round = 0; round < k; ++round) {
        float value;
        int index;
        flashj::scan_max(scratch, n, value, index);
        flashj::block_argmax(value, index, values32, indices32);
        if (threadIdx.x == 0) {
            top_indices[round] = index;
            top_values[round] = value;
            if (index < n) scratch[index] = -INFINITY;
        }
        __syncthreads();
    }
}
