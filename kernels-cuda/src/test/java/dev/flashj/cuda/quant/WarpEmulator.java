package dev.flashj.cuda.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A Java transcription of the per-lane code of quant_gemv.cu's tile GEMV and fp8_gemm.cu's W8A8 GEMM, run lane by
 * lane with mma.sync emulated from the PTX fragment layouts (lane = 4 g + t: A rows g and g + 8, B column g, C rows
 * g and g + 8 at columns 2t, 2t + 1). It checks on the CPU what the GPU tests check on a GPU: the fragment
 * permutations, the INT4 and E4M3 bit tricks and the token/row mapping of the outputs, but not the CUDA compiler.
 * fp16 values are modelled exactly (fp16 products and FMAs rounded as the hardware does).
 */
final class WarpEmulator {
    private static final ValueLayout.OfInt WORD = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private WarpEmulator() {
    }

    static float half(int bits) {
        return Float.float16ToFloat((short) bits);
    }

    static int toHalf(double v) {
        return Float.floatToFloat16((float) v) & 0xFFFF;
    }

    static int pack(int lowHalf, int highHalf) {
        return (lowHalf & 0xFFFF) | highHalf << 16;
    }

    /** CUDA's __byte_perm(x, 0, selector). */
    static int bytePerm(int x, int selector) {
        int r = 0;
        for (int i = 0; i < 4; i++) {
            int pick = (selector >>> (4 * i)) & 7;
            int b = pick < 4 ? (x >>> (8 * pick)) & 0xFF : 0;
            r |= b << (8 * i);
        }
        return r;
    }

    /** quant_common.cuh's e4m3_pair_to_half2. */
    static int e4m3PairToHalf2(int word, int selector) {
        int u = bytePerm(word, selector);
        int h = ((u & 0x00800080) << 8) | ((u & 0x007F007F) << 7);
        return pack(toHalf(half(h) * 256.0), toHalf(half(h >>> 16) * 256.0));
    }

    /** Int4Tiles::dequant for one word and pair: (code * scale + offset) rounded once to fp16, as __hfma2 does. */
    static int int4Pair(int word, int pair, int scaleHalf, int offsetHalf) {
        int bits = ((word >>> (4 * pair)) & 0x000F000F) | 0x64006400;
        double lo = half(bits) - 1024.0;
        double hi = half(bits >>> 16) - 1024.0;
        double s = half(scaleHalf);
        double o = half(offsetHalf);
        return pack(toHalf(lo * s + o), toHalf(hi * s + o));
    }

    /** D += A (16 x K) B (K x 8) from 32 lanes' registers; elementsPerRegister 2 (f16 pairs) or 4 (E4M3 bytes). */
    static void mma(float[][] d, int[][] a, int[][] b, int k, boolean e4m3) {
        double[][] am = new double[16][k];
        double[][] bm = new double[k][8];
        int per = e4m3 ? 4 : 2;
        for (int lane = 0; lane < 32; lane++) {
            int g = lane >> 2;
            int t = lane & 3;
            for (int reg = 0; reg < 4; reg++) {
                int row = g + 8 * (reg & 1);
                int kBase = per * t + (reg >> 1) * (k / 2);
                for (int e = 0; e < per; e++) {
                    am[row][kBase + e] = element(a[lane][reg], e, e4m3);
                }
            }
            for (int reg = 0; reg < 2; reg++) {
                int kBase = per * t + reg * (k / 2);
                for (int e = 0; e < per; e++) {
                    bm[kBase + e][g] = element(b[lane][reg], e, e4m3);
                }
            }
        }
        for (int lane = 0; lane < 32; lane++) {
            int g = lane >> 2;
            int t = lane & 3;
            for (int c = 0; c < 4; c++) {
                int row = g + (c >= 2 ? 8 : 0);
                int col = 2 * t + (c & 1);
                double sum = 0;
                for (int kk = 0; kk < k; kk++) {
                    sum += am[row][kk] * bm[kk][col];
                }
                d[lane][c] += (float) sum;
            }
        }
    }

    private static double element(int register, int e, boolean e4m3) {
        return e4m3 ? dev.flashj.tensor.Fp8Layout.value((register >>> (8 * e)) & 0xFF) : half(register >>> (16 * e));
    }

    /**
     * tile_gemv for INT4 (group 128 or 32) or FP8 (group 0) weights in the tile layout: out[t * rows + r] for x fp16 bits
     * [tokens, k]. Token tiles of 8 as the _t8 kernel (the _t16 one runs two per block, same per-tile arithmetic).
     */
    static float[] tileGemv(int group, MemorySegment tiles, MemorySegment params, int rows, int k, short[] x, int tokens) {
        boolean fp8 = group == 0;
        int chunkK = fp8 ? 32 : 64;
        int steps = fp8 ? 2 : 4;
        int run = chunkK / 4;
        int rowTiles = (rows + 15) / 16;
        int paddedRows = rowTiles * 16;
        int chunks = (k + chunkK - 1) / chunkK;
        float[] out = new float[tokens * rows];
        for (int tile = 0; tile < rowTiles; tile++) {
            for (int token0 = 0; token0 < tokens; token0 += 8) {
                float[][] acc = new float[32][4];
                for (int chunk = 0; chunk < chunks; chunk++) {
                    int[][] w = new int[32][4];
                    int[][] xr = new int[32][run / 2];
                    int[][] scale = new int[32][2];
                    int[][] offset = new int[32][2];
                    for (int lane = 0; lane < 32; lane++) {
                        long base = ((long) tile * chunks + chunk) * 512 + 16L * lane;
                        for (int q = 0; q < 4; q++) {
                            w[lane][q] = tiles.get(WORD, base + 4L * q);
                        }
                        if (!fp8) {
                            int g = (chunk * chunkK + (lane & 3) * run) / group;
                            for (int h = 0; h < 2; h++) {
                                int pair = params.get(WORD, 4L * ((long) g * paddedRows + tile * 16 + (lane >> 2) + 8 * h));
                                scale[lane][h] = pair & 0xFFFF;
                                offset[lane][h] = pair >>> 16;
                            }
                        }
                        int t = token0 + (lane >> 2);
                        int start = chunk * chunkK + (lane & 3) * run;
                        for (int i = 0; i < run / 2; i++) {
                            int at = start + 2 * i;
                            int lo = t < tokens && at < k ? x[t * k + at] : 0;
                            int hi = t < tokens && at + 1 < k ? x[t * k + at + 1] : 0;
                            xr[lane][i] = pack(lo, hi);
                        }
                    }
                    for (int s = 0; s < steps; s++) {
                        int[][] a = new int[32][4];
                        int[][] b = new int[32][2];
                        for (int lane = 0; lane < 32; lane++) {
                            if (fp8) {
                                int low = s == 0 ? w[lane][0] : w[lane][1];
                                int high = s == 0 ? w[lane][2] : w[lane][3];
                                a[lane][0] = e4m3PairToHalf2(low, 0x4140);
                                a[lane][1] = e4m3PairToHalf2(high, 0x4140);
                                a[lane][2] = e4m3PairToHalf2(low, 0x4342);
                                a[lane][3] = e4m3PairToHalf2(high, 0x4342);
                            } else {
                                for (int pair = 0; pair < 4; pair++) {
                                    a[lane][pair] = int4Pair(w[lane][s], pair, scale[lane][pair & 1], offset[lane][pair & 1]);
                                }
                            }
                            b[lane][0] = xr[lane][2 * s];
                            b[lane][1] = xr[lane][2 * s + 1];
                        }
                        mma(acc, a, b, 16, false);
                    }
                }
                for (int lane = 0; lane < 32; lane++) {
                    for (int c = 0; c < 4; c++) {
                        int row = tile * 16 + (lane >> 2) + (c >= 2 ? 8 : 0);
                        int t = token0 + (lane & 3) * 2 + (c & 1);
                        if (row < rows && t < tokens) {
                            float rowScale = fp8 ? params.get(F32, 4L * row) : 1f;
                            out[t * rows + row] = acc[lane][c] * rowScale;
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * fp8_gemm's fragment path for E4M3 activation codes xq [m, paddedK] (scales xScale) and FP8 tile weights:
     * out[t * n + r]. Both the sm_89+ m16n8k32 route and the fp16 fallback (two m16n8k16 on converted fragments).
     */
    static float[] fp8Gemm(byte[] xq, float[] xScale, MemorySegment tiles, MemorySegment wScale, int m, int n, int paddedK,
                           boolean fallback) {
        int chunks = paddedK / 32;
        int rowTiles = (n + 15) / 16;
        float[] out = new float[m * n];
        for (int mt = 0; mt < (m + 15) / 16; mt++) {
            for (int tile = 0; tile < rowTiles; tile++) {
                float[][][] acc = new float[2][32][4];
                for (int chunk = 0; chunk < chunks; chunk++) {
                    int[][] a = new int[32][4];
                    int[][][] b = new int[2][32][2];
                    for (int lane = 0; lane < 32; lane++) {
                        int quad = lane & 3;
                        for (int h = 0; h < 2; h++) {
                            int row = mt * 16 + (lane >> 2) + 8 * h;
                            int at = row * paddedK + chunk * 32 + 8 * quad;
                            a[lane][h] = row < m ? bytesWord(xq, at) : 0;        // low.x / high.x
                            a[lane][2 + h] = row < m ? bytesWord(xq, at + 4) : 0; // low.y / high.y
                        }
                        long base = ((long) tile * chunks + chunk) * 512 + 16L * lane;
                        b[0][lane][0] = tiles.get(WORD, base);
                        b[0][lane][1] = tiles.get(WORD, base + 4);
                        b[1][lane][0] = tiles.get(WORD, base + 8);
                        b[1][lane][1] = tiles.get(WORD, base + 12);
                    }
                    for (int nt = 0; nt < 2; nt++) {
                        if (!fallback) {
                            mma(acc[nt], a, b[nt], 32, true);
                            continue;
                        }
                        for (int h = 0; h < 2; h++) {
                            int[][] a16 = new int[32][4];
                            int[][] b16 = new int[32][2];
                            for (int lane = 0; lane < 32; lane++) {
                                int lowRows = a[lane][2 * h];
                                int highRows = a[lane][2 * h + 1];
                                a16[lane][0] = e4m3PairToHalf2(lowRows, 0x4140);
                                a16[lane][1] = e4m3PairToHalf2(highRows, 0x4140);
                                a16[lane][2] = e4m3PairToHalf2(lowRows, 0x4342);
                                a16[lane][3] = e4m3PairToHalf2(highRows, 0x4342);
                                b16[lane][0] = e4m3PairToHalf2(b[nt][lane][h], 0x4140);
                                b16[lane][1] = e4m3PairToHalf2(b[nt][lane][h], 0x4342);
                            }
                            mma(acc[nt], a16, b16, 16, false);
                        }
                    }
                }
                for (int nt = 0; nt < 2; nt++) {
                    for (int lane = 0; lane < 32; lane++) {
                        for (int c = 0; c < 4; c++) {
                            int t = mt * 16 + (lane >> 2) + (c >= 2 ? 8 : 0);
                            int col = tile * 16 + nt * 8 + (lane & 3) * 2 + (c & 1);
                            if (t < m && col < n) {
                                out[t * n + col] = acc[nt][lane][c] * xScale[t] * wScale.get(F32, 4L * col);
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    private static int bytesWord(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }
}
