// Peak float32 throughput: eight independent float4 FMA chains per work-item, no memory traffic
// inside the loop. The one store keeps the compiler from removing the chains.
__kernel void fma_peak(__global float *out, const int iterations, const float a, const float b) {
    float4 x0 = (float4)(get_global_id(0) * 1e-9f);
    float4 x1 = x0 + 0.1f;
    float4 x2 = x0 + 0.2f;
    float4 x3 = x0 + 0.3f;
    float4 x4 = x0 + 0.4f;
    float4 x5 = x0 + 0.5f;
    float4 x6 = x0 + 0.6f;
    float4 x7 = x0 + 0.7f;
    const float4 va = (float4)(a);
    const float4 vb = (float4)(b);
    for (int i = 0; i < iterations; i++) {
        x0 = fma(x0, va, vb);
        x1 = fma(x1, va, vb);
        x2 = fma(x2, va, vb);
        x3 = fma(x3, va, vb);
        x4 = fma(x4, va, vb);
        x5 = fma(x5, va, vb);
        x6 = fma(x6, va, vb);
        x7 = fma(x7, va, vb);
    }
    float4 s = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7));
    out[get_global_id(0)] = s.x + s.y + s.z + s.w;
}
