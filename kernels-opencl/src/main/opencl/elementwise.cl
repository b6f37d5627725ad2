// Element-wise kernels: embedding lookup, SiLU(gate) * up, residual add, bias add.
// OpenCL C 1.2; f32 arithmetic; f16 tables are read with vload_half (no cl_khr_fp16 needed).
// Every kernel guards its range, so global sizes may be rounded up to the work-group size.

// out[t, i] = table[ids[t], i] for t < count, i < dim.
__kernel void embedding_f32(__global const float* table, __global const int* ids, __global float* out,
                            int dim, int count) {
    int i = get_global_id(0);
    int t = get_global_id(1);
    if (i >= dim || t >= count) {
        return;
    }
    out[(size_t) t * dim + i] = table[(size_t) ids[t] * dim + i];
}

__kernel void embedding_f16(__global const half* table, __global const int* ids, __global float* out,
                            int dim, int count) {
    int i = get_global_id(0);
    int t = get_global_id(1);
    if (i >= dim || t >= count) {
        return;
    }
    out[(size_t) t * dim + i] = vload_half((size_t) ids[t] * dim + i, table);
}

// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)).
__kernel void silu_mul(__global const float* gate, __global const float* up, __global float* out, int n) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    float g = gate[i];
    out[i] = g / (1.0f + exp(-g)) * up[i];
}

// out[i] = a[i] + b[i] (out may alias a or b).
__kernel void add(__global const float* a, __global const float* b, __global float* out, int n) {
    int i = get_global_id(0);
    if (i >= n) {
        return;
    }
    out[i] = a[i] + b[i];
}

// x[xOff + r * cols + c] += bias[c] for r < rows, c < cols.
__kernel void add_bias(__global float* x, int xOff, __global const float* bias, int rows, int cols) {
    int c = get_global_id(0);
    int r = get_global_id(1);
    if (c >= cols || r >= rows) {
        return;
    }
    x[xOff + (size_t) r * cols + c] += bias[c];
}
