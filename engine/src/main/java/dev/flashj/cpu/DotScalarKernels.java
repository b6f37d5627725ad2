package dev.flashj.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.flashj.cpu.QuantVectors.FLOAT;
import static dev.flashj.cpu.QuantVectors.INT;
import static dev.flashj.cpu.QuantVectors.f16;
import static dev.flashj.cpu.QuantVectors.u8;

/**
 * Scalar decoders of GGML blocks. They serve the rarer types (decode into a row buffer, then a
 * vector float dot) and every quantized type on vector shapes the fused kernels do not handle.
 * Block layouts follow ggml-common.h; offsets below are bytes within one block.
 */
enum DotScalarKernels implements DotKernel.DecodeOnly {
    /** 34 bytes: f16 d, 32 int8 q. x = d*q. */
    Q8_0 {
        @Override
        public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
            for (int b = 0; b < cols / 32; b++) {
                long p = rowOffset + 34L * b;
                float d = f16(w, p);
                for (int j = 0; j < 32; j++) {
                    dst[32 * b + j] = d * w.get(ValueLayout.JAVA_BYTE, p + 2 + j);
                }
            }
        }
    },
    /** 18 bytes: f16 d, 16 bytes of nibbles (low: elements 0..15, high: 16..31). x = d*(q-8). */
    Q4_0 {
        @Override
        public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
            for (int b = 0; b < cols / 32; b++) {
                long p = rowOffset + 18L * b;
                float d = f16(w, p);
                for (int j = 0; j < 16; j++) {
                    int q = u8(w, p + 2 + j);
                    dst[32 * b + j] = d * ((q & 0xF) - 8);
                    dst[32 * b + j + 16] = d * ((q >> 4) - 8);
                }
            }
        }
    },
    /** 20 bytes: f16 d, f16 m, 16 bytes of nibbles. x = d*q + m. */
    Q4_1 {
        @Override
        public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
            for (int b = 0; b < cols / 32; b++) {
                long p = rowOffset + 20L * b;
                float d = f16(w, p);
                float m = f16(w, p + 2);
                for (int j = 0; j < 16; j++) {
                    int q = u8(w, p + 4 + j);
                    dst[32 * b + j] = d * (q & 0xF) + m;
                    dst[32 * b + j + 16] = d * (q >> 4) + m;
                }
            }
        }
    },
    /** 22 bytes: f16 d, u32 high bits, 16 bytes of nibbles. x = d*(q-16). */
    Q5_0 {
        @Override
        public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
            for (int b = 0; b < cols / 32; b++) {
                long p = rowOffset + 22L * b;
                float d = f16(w, p);
                int qh = w.get(INT, p + 2);
                for (int j = 0; j < 16; j++) {
                    int q = u8(w, p + 6 + j);
                    int lo = (q & 0xF) | ((qh >>> j) & 1) << 4;
                    int hi = (q >> 4) | ((qh >>> (j + 16)) & 1) << 4;
                    dst[32 * b + j] = d * (lo - 16);
                    dst[32 * b + j + 16] = d * (hi - 16);
                }
            }
        }
    },
    /** 24 bytes: f16 d, f16 m, u32 high bits, 16 bytes of nibbles. x = d*q + m. */
    Q5_1 {
        @Override
        public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
            for (int b = 0; b < cols / 32; b++) {
                long p = rowOffset + 24L * b;
                float d = f16(w, p);
                float m = f16(w, p + 2);
                int qh = w.get(INT, p + 4);
                for (int j = 0; j < 16; j++) {
                    int q = u8(w, p + 8 + j);
                    int lo = (q & 0xF) | ((qh >>> j) & 1) << 4;
                    int hi = (q >> 4) | ((qh >>> (j + 16)) & 1) << 4;
                    dst[32 * b + j] = d * lo + m;
                    dst[32 * b + j + 16] = d * hi + m;
                }
            }
        }
    },
    /**
     * 144 bytes: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins for 8 sub-blocks of 32,
     * 128 bytes of nibbles (each 32 bytes: low nibbles sub-block 2j, high 2j+1). x = d*sc*q - dmin*m.
     */
    Q4_K {
        @Override
        public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
            for (int b = 0; b < cols / 256; b++) {
                long p = rowOffset + 144L * b;
                float d = f16(w, p);
                float dmin = f16(w, p + 2);
                for (int j = 0; j < 4; j++) {
                    float d1 = d * kScale(w, p + 4, 2 * j);
                    float m1 = dmin * kMin(w, p + 4, 2 * j);
                    float d2 = d * kScale(w, p + 4, 2 * j + 1);
                    float m2 = dmin * kMin(w, p + 4, 2 * j + 1);
                    for (int l = 0; l < 32; l++) {
                        int q = u8(w, p + 16 + 32 * j + l);
                        dst[256 * b + 64 * j + l] = d1 * (q & 0xF) - m1;
                        dst[256 * b + 64 * j + 32 + l] = d2 * (q >> 4) - m2;
                    }
                }
            }
        }
    },
    /** 176 bytes: like Q4_K plus 32 bytes of fifth bits before the nibbles (bit 2j: sub-block 2j, 2j+1: 2j+1). */
    Q5_K {
        @Override
        public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
            for (int b = 0; b < cols / 256; b++) {
                long p = rowOffset + 176L * b;
                float d = f16(w, p);
                float dmin = f16(w, p + 2);
                for (int j = 0; j < 4; j++) {
                    float d1 = d * kScale(w, p + 4, 2 * j);
                    float m1 = dmin * kMin(w, p + 4, 2 * j);
                    float d2 = d * kScale(w, p + 4, 2 * j + 1);
                    float m2 = dmin * kMin(w, p + 4, 2 * j + 1);
                    for (int l = 0; l < 32; l++) {
                        int q = u8(w, p + 48 + 32 * j + l);
                        int h = u8(w, p + 16 + l);
                        int lo = (q & 0xF) | ((h >> (2 * j)) & 1) << 4;
                        int hi = (q >> 4) | ((h >> (2 * j + 1)) & 1) << 4;
                        dst[256 * b + 64 * j + l] = d1 * lo - m1;
                        dst[256 * b + 64 * j + 32 + l] = d2 * hi - m2;
                    }
                }
            }
        }
    },
    /**
     * 210 bytes: 128 bytes low nibbles, 64 bytes of 2-bit high parts, 16 int8 scales (one per 16
     * elements), f16 d. x = d*sc*(q-32).
     */
    Q6_K {
        @Override
        public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
            for (int b = 0; b < cols / 256; b++) {
                long p = rowOffset + 210L * b;
                float d = f16(w, p + 208);
                for (int half = 0; half < 2; half++) {
                    long ql = p + 64 * half;
                    long qh = p + 128 + 32 * half;
                    long sc = p + 192 + 8 * half;
                    int base = 256 * b + 128 * half;
                    for (int l = 0; l < 32; l++) {
                        int a = u8(w, ql + l);
                        int c = u8(w, ql + 32 + l);
                        int h = u8(w, qh + l);
                        int is = l / 16;
                        dst[base + l] = d * w.get(ValueLayout.JAVA_BYTE, sc + is) * (((a & 0xF) | (h & 3) << 4) - 32);
                        dst[base + l + 32] = d * w.get(ValueLayout.JAVA_BYTE, sc + is + 2) * (((c & 0xF) | ((h >> 2) & 3) << 4) - 32);
                        dst[base + l + 64] = d * w.get(ValueLayout.JAVA_BYTE, sc + is + 4) * (((a >> 4) | ((h >> 4) & 3) << 4) - 32);
                        dst[base + l + 96] = d * w.get(ValueLayout.JAVA_BYTE, sc + is + 6) * (((c >> 4) | ((h >> 6) & 3) << 4) - 32);
                    }
                }
            }
        }
    },
    /** 292 bytes: f32 d, 256 int8 q, 16 int16 block sums (unused here). x = d*q. */
    Q8_K {
        @Override
        public void decode(MemorySegment w, long rowOffset, float[] dst, int cols) {
            for (int b = 0; b < cols / 256; b++) {
                long p = rowOffset + 292L * b;
                float d = w.get(FLOAT, p);
                for (int j = 0; j < 256; j++) {
                    dst[256 * b + j] = d * w.get(ValueLayout.JAVA_BYTE, p + 4 + j);
                }
            }
        }
    };

    /** The 6-bit scale of sub-block {@code j} (0..7) from the 12 packed bytes at {@code s} (Q4_K, Q5_K). */
    static int kScale(MemorySegment w, long s, int j) {
        return j < 4
                ? u8(w, s + j) & 63
                : (u8(w, s + j + 4) & 0xF) | (u8(w, s + j - 4) >> 6) << 4;
    }

    /** The 6-bit min of sub-block {@code j} (0..7) from the 12 packed bytes at {@code s} (Q4_K, Q5_K). */
    static int kMin(MemorySegment w, long s, int j) {
        return j < 4
                ? u8(w, s + j + 4) & 63
                : (u8(w, s + j + 4) >> 4) | (u8(w, s + j) >> 6) << 4;
    }
}
