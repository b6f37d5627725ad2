// Helpers shared by the quantized-weight kernels (quant_gemv.cu, fp8_gemm.cu).
#pragma once

#include "common.cuh"

namespace flashj {

__device__ __forceinline__ uint32_t half2_to_bits(__half2 h) {
    return *reinterpret_cast<uint32_t*>(&h);
}
__device__ __forceinline__ __half2 bits_to_half2(uint32_t u) {
    return *reinterpret_cast<__half2*>(&u);
}

// Two E4M3 codes (the bytes the selector picks into bytes 0 and 2) as an exact half2: sign to bit 15,
// exponent and mantissa shifted into place, then times 2^8 to move the exponent bias from 7 to 15.
__device__ __forceinline__ uint32_t e4m3_pair_to_half2(uint32_t word, uint32_t selector) {
    uint32_t u = __byte_perm(word, 0, selector);
    uint32_t h = ((u & 0x00800080u) << 8) | ((u & 0x007F007Fu) << 7);
    return half2_to_bits(__hmul2(bits_to_half2(h), __float2half2_rn(256.0f)));
}
constexpr uint32_t BYTES_0_1 = 0x4140;  // byte 0 -> low half, byte 1 -> high half
constexpr uint32_t BYTES_2_3 = 0x4342;

}  // namespace flashj
