// RMSNorm: out[row] = x[row] / sqrt(mean(x[row]^2) + eps) * w, one work-group per row.
// The work-group size must be a power of two (tree reduction in local memory).
__kernel void rmsnorm(__global const float* x, int xOff, __global const float* w, __global float* out, int outOff,
                      int dim, float eps, __local float* scratch) {
    int row = get_group_id(0);
    int lid = get_local_id(0);
    int n = get_local_size(0);
    __global const float* xr = x + xOff + (size_t) row * dim;
    __global float* yr = out + outOff + (size_t) row * dim;
    float sum = 0.0f;
    for (int i = lid; i < dim; i += n) {
        float v = xr[i];
        sum += v * v;
    }
    scratch[lid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = n / 2; stride > 0; stride >>= 1) {
        if (lid < stride) {
            scratch[lid] += scratch[lid + stride];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float inv = 1.0f / sqrt(scratch[0] / (float) dim + eps);
    for (int i = lid; i < dim; i += n) {
        yr[i] = xr[i] * inv * w[i];
    }
}
