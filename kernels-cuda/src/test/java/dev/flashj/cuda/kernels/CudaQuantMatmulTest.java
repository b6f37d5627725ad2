package dev.flashj.cuda.kernels;

import dev.flashj.cuda.CudaTestSupport;
import dev.flashj.cuda.GpuKernelTest;
import dev.flashj.cuda.quant.Fp8TileLayout;
import dev.flashj.cuda.quant.Int4TileLayout;
import dev.flashj.cuda.runtime.DeviceBuffer;
import dev.flashj.quant.WeightQuantizer;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Fp8Layout;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static dev.flashj.cuda.CudaTestSupport.assertClose;
import static dev.flashj.cuda.CudaTestSupport.randoms;
import static dev.flashj.cuda.CudaTestSupport.rounded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quantized-weight kernels against float64 references: the tile GEMVs (INT4 g128/g32, FP8) and the in-place
 * GGUF GEMVs (Q8_0, Q4_0, Q4_K, Q6_K) for 1, 3, 16 and 37 tokens on odd row counts and k not a multiple of the chunk, with
 * fp16 output and fp32 accumulation into a wider output; the W8A8 FP8 GEMM with its per-token quantization.
 * Outputs are poisoned with NaN first. Skips without a GPU.
 */
class CudaQuantMatmulTest extends GpuKernelTest {
    /** Uploads {@code bytes} (a [rows, cols] matrix of {@code type}) as the kernels read it. */
    static QuantizedMatrix upload(CudaTestSupport gpu, TensorType type, byte[] bytes, int rows, int cols) {
        QuantFormat format = QuantFormat.of(type).orElseThrow();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment source = arena.allocate(bytes.length, 16);
            source.copyFrom(MemorySegment.ofArray(bytes));
            MemorySegment data;
            MemorySegment params = null;
            switch (format) {
                case INT4_G128, INT4_G32 -> {
                    data = arena.allocate(Int4TileLayout.codeBytes(rows, cols), 16);
                    params = arena.allocate(Int4TileLayout.paramBytes(type, rows, cols), 16);
                    Int4TileLayout.repack(type, source, rows, cols, data, params);
                }
                case FP8_E4M3 -> {
                    data = arena.allocate(Fp8TileLayout.codeBytes(rows, cols), 16);
                    params = arena.allocate(Fp8TileLayout.scaleBytes(rows), 16);
                    Fp8TileLayout.repack(source, rows, cols, data, params);
                }
                default -> data = source;
            }
            DeviceBuffer dataBuffer = gpu.allocate(data.byteSize(), "quantized weights");
            gpu.stream.copyToDevice(dataBuffer, 0, data);
            DeviceBuffer paramBuffer = null;
            if (params != null) {
                paramBuffer = gpu.allocate(params.byteSize(), "quantized params");
                gpu.stream.copyToDevice(paramBuffer, 0, params);
            }
            gpu.stream.synchronize();
            return new QuantizedMatrix(format, dataBuffer, paramBuffer, rows, cols);
        }
    }

    static float[] dequantized(TensorType type, byte[] bytes, int rows, int cols) {
        return Dequantizer.toFloats(new Tensor("w", type, new long[] {rows, cols}, MemorySegment.ofArray(bytes)));
    }

    /**
     * A random [rows, cols] matrix of {@code type}: quantized floats, or for Q6_K (no quantizer in FlashJ) random
     * super-blocks with d = 2^-10, so values stay within about +-4.
     */
    static byte[] quantizedRandoms(TensorType type, Random random, int rows, int cols) {
        if (type != TensorType.Q6_K) {
            return WeightQuantizer.quantize(type, randoms(random, rows * cols, 1), rows, cols);
        }
        byte[] bytes = new byte[(int) type.matrixBytes(rows, cols)];
        random.nextBytes(bytes);
        short d = Float.floatToFloat16(0x1p-10f);
        for (int block = 0; block < bytes.length / 210; block++) {
            bytes[210 * block + 208] = (byte) d;
            bytes[210 * block + 209] = (byte) (d >> 8);
        }
        return bytes;
    }

    static double[] product(float[] w, int rows, int cols, float[] x, int tokens) {
        double[] out = new double[tokens * rows];
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                for (int k = 0; k < cols; k++) {
                    sum += (double) w[r * cols + k] * x[t * cols + k];
                }
                out[t * rows + r] = sum;
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}: [{1}, {2}] x {3} tokens")
    @CsvSource({
            "INT4_G128, 37, 256, 1", "INT4_G128, 129, 384, 3", "INT4_G128, 64, 128, 16", "INT4_G128, 33, 256, 37",
            "INT4_G32, 37, 96, 1", "INT4_G32, 5, 160, 3", "INT4_G32, 129, 32, 16", "INT4_G32, 48, 224, 37",
            "FP8_E4M3, 37, 100, 1", "FP8_E4M3, 129, 256, 3", "FP8_E4M3, 17, 7, 16", "FP8_E4M3, 64, 520, 37",
            "Q8_0, 37, 64, 1", "Q8_0, 129, 96, 3", "Q8_0, 16, 288, 16", "Q8_0, 33, 32, 37",
            "Q4_0, 37, 64, 1", "Q4_0, 129, 96, 3", "Q4_0, 16, 288, 16", "Q4_0, 33, 32, 37",
            "Q4_K, 37, 256, 1", "Q4_K, 129, 512, 3", "Q4_K, 5, 768, 16", "Q4_K, 33, 256, 37",
            "Q6_K, 37, 256, 1", "Q6_K, 129, 512, 3", "Q6_K, 5, 768, 16", "Q6_K, 33, 256, 37"})
    void gemvMatchesReference(TensorType type, int rows, int cols, int tokens) {
        Random random = new Random(rows * 1009L + cols * 31L + tokens + type.ordinal());
        byte[] bytes = quantizedRandoms(type, random, rows, cols);
        float[] w = dequantized(type, bytes, rows, cols);
        float[] x = rounded(CudaStorage.F16, randoms(random, tokens * cols, 1));
        double[] expected = product(w, rows, cols, x, tokens);
        QuantizedMatrix weight = upload(gpu, type, bytes, rows, cols);
        CudaOps ops = gpu.ops(CudaStorage.F16);
        DeviceBuffer xb = gpu.halves(CudaStorage.F16, x, "x");
        double scale = Math.sqrt(cols);

        DeviceBuffer half = gpu.poisonedHalves(CudaStorage.F16, tokens * rows, "out");
        ops.matmul(weight, xb, 0, half, 0, rows, tokens, false, false);
        // INT4 weights become fp16 in the kernel (one rounding of code * scale + offset): the f16 tolerance covers it.
        double[] tol = CudaTestSupport.tolerance(CudaStorage.F16);
        assertClose(expected, gpu.readHalves(CudaStorage.F16, half, tokens * rows), tol[0] * scale, tol[1], type + " f16 out");

        int ldc = rows + 3;
        int offset = 2;
        float[] base = randoms(random, tokens * ldc + offset, 1);
        DeviceBuffer wide = gpu.floats(base, "wide");
        ops.matmul(weight, xb, 0, wide, 4L * offset, ldc, tokens, true, true);
        double[] wideExpected = new double[base.length];
        for (int i = 0; i < base.length; i++) {
            wideExpected[i] = base[i];
        }
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                wideExpected[offset + t * ldc + r] += expected[t * rows + r];
            }
        }
        double f32Abs = type == TensorType.INT4_G128 || type == TensorType.INT4_G32 ? 1e-3 * scale : 1e-4 * scale;
        assertClose(wideExpected, gpu.stream.readFloats(wide, 0, base.length), f32Abs, 1e-3, type + " f32 accumulate");
    }

    @ParameterizedTest(name = "{0}: [{1}, {2}]")
    @CsvSource({"INT4_G128, 37, 256", "INT4_G32, 33, 96", "FP8_E4M3, 17, 100", "FP8_E4M3, 16, 7", "Q8_0, 37, 64",
            "Q4_0, 5, 96", "Q4_K, 33, 512", "Q6_K, 17, 256"})
    void dequantizeMatchesCpuDecode(TensorType type, int rows, int cols) {
        Random random = new Random(rows * 3L + cols + type.ordinal());
        byte[] bytes = quantizedRandoms(type, random, rows, cols);
        float[] w = dequantized(type, bytes, rows, cols);
        QuantizedMatrix weight = upload(gpu, type, bytes, rows, cols);
        DeviceBuffer target = gpu.poisonedHalves(CudaStorage.F16, rows * cols, "fp16 weights");
        gpu.ops(CudaStorage.F16).dequantize(weight, target);
        double[] expected = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            expected[i] = CudaStorage.F16.round(w[i]);
        }
        // INT4 rounds code * scale + offset to fp16 once (fma); the others round an exact fp32 value: 1 fp16 ulp at most.
        assertClose(expected, gpu.readHalves(CudaStorage.F16, target, rows * cols), 1e-7, 1e-3, type + " dequantized");
    }

    @ParameterizedTest(name = "{0}: [{1}, {2}] x {3} tokens through fp16 scratch")
    @CsvSource({"INT4_G128, 37, 256, 40", "INT4_G32, 33, 96, 70", "FP8_E4M3, 17, 104, 33", "Q8_0, 37, 64, 40",
            "Q4_K, 16, 256, 65", "Q6_K, 33, 256, 40"})
    void prefillThroughScratchMatchesReference(TensorType type, int rows, int cols, int tokens) {
        Random random = new Random(rows * 11L + cols + tokens);
        byte[] bytes = quantizedRandoms(type, random, rows, cols);
        float[] w = dequantized(type, bytes, rows, cols);
        float[] x = rounded(CudaStorage.F16, randoms(random, tokens * cols, 1));
        double[] expected = product(w, rows, cols, x, tokens);
        QuantizedMatrix weight = upload(gpu, type, bytes, rows, cols);
        DeviceBuffer scratch = gpu.allocate(CudaOps.dequantizeScratchBytes(weight), "scratch");
        DeviceBuffer xb = gpu.halves(CudaStorage.F16, x, "x");
        DeviceBuffer out = gpu.poisonedFloats(tokens * rows, "out");
        gpu.ops(CudaStorage.F16).matmul(weight, xb, 0, out, 0, rows, tokens, true, false, scratch);
        // Weights rounded to fp16 on the way: about 2^-11 relative each.
        assertClose(expected, gpu.stream.readFloats(out, 0, tokens * rows), 2e-3 * Math.sqrt(cols), 2e-3, type + " via scratch");
    }

    @ParameterizedTest(name = "W8A8 m={0} n={1} k={2}")
    @CsvSource({"1, 37, 100", "3, 129, 256", "70, 260, 96", "130, 33, 520", "64, 128, 32", "17, 5, 7"})
    void fp8GemmMatchesReference(int m, int n, int k) {
        Random random = new Random(m * 7919L + n * 13L + k);
        byte[] bytes = WeightQuantizer.quantize(TensorType.FP8_E4M3, randoms(random, n * k, 1), n, k);
        float[] x = rounded(CudaStorage.F16, randoms(random, m * k, 2));
        QuantizedMatrix weight = upload(gpu, TensorType.FP8_E4M3, bytes, n, k);
        CudaOps ops = gpu.ops(CudaStorage.F16);
        DeviceBuffer xb = gpu.halves(CudaStorage.F16, x, "x");
        long workspaceBytes = CudaOps.fp8ActivationBytes(m, k);
        DeviceBuffer workspace = gpu.allocate(workspaceBytes, "W8A8 workspace");
        DeviceBuffer out = gpu.poisonedFloats(m * n, "out");
        ops.fp8Matmul(weight, xb, 0, workspace, out, 0, n, m, true, false);

        // The per-token quantization: scales exact, codes within one E4M3 step of Java's rounding.
        int paddedK = Fp8TileLayout.paddedCols(k);
        byte[] codes = new byte[m * paddedK];
        MemorySegment host = MemorySegment.ofArray(codes);
        float[] scales = gpu.stream.readFloats(workspace, (long) m * paddedK, m);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(codes.length, 16);
            gpu.stream.copyToHost(staging, workspace, 0);
            gpu.stream.synchronize();
            host.copyFrom(staging);
        }
        for (int t = 0; t < m; t++) {
            float amax = 0;
            for (int i = 0; i < k; i++) {
                amax = Math.max(amax, Math.abs(x[t * k + i]));
            }
            float scale = amax > 0 ? amax / Fp8Layout.MAX : 1f;
            assertEquals(scale, scales[t], 0f, "token " + t + " scale");
            for (int i = 0; i < paddedK; i++) {
                int gpuCode = codes[t * paddedK + i] & 0xFF;
                int javaCode = i < k ? Fp8Layout.encode(x[t * k + i] / scale) : 0;
                boolean sameSign = (gpuCode & 0x80) == (javaCode & 0x80) || (gpuCode & 0x7F) == 0 || (javaCode & 0x7F) == 0;
                assertTrue(sameSign && Math.abs((gpuCode & 0x7F) - (javaCode & 0x7F)) <= 1,
                        "token " + t + " element " + i + ": code " + gpuCode + " vs " + javaCode);
            }
        }
        // The product from the GPU's own codes: only accumulation order separates kernel and reference.
        float[] w = dequantized(TensorType.FP8_E4M3, bytes, n, k);
        double[] expected = new double[m * n];
        for (int t = 0; t < m; t++) {
            for (int r = 0; r < n; r++) {
                double sum = 0;
                for (int i = 0; i < k; i++) {
                    sum += (double) Fp8Layout.value(codes[t * paddedK + i]) * w[r * k + i];
                }
                expected[t * n + r] = sum * scales[t];
            }
        }
        assertClose(expected, gpu.stream.readFloats(out, 0, m * n), 1e-4 * Math.sqrt(k), 1e-4, "W8A8 f32");

        DeviceBuffer half = gpu.poisonedHalves(CudaStorage.F16, m * n, "out16");
        ops.fp8Matmul(weight, xb, 0, workspace, half, 0, n, m, false, false);
        double[] tol = CudaTestSupport.tolerance(CudaStorage.F16);
        assertClose(expected, gpu.readHalves(CudaStorage.F16, half, m * n), tol[0] * Math.sqrt(k), tol[1], "W8A8 f16");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"INT4_G128", "Q8_0"})
    void bf16ActivationsAreRefused(TensorType type) {
        byte[] bytes = WeightQuantizer.quantize(type, new float[16 * 128], 16, 128);
        QuantizedMatrix weight = upload(gpu, type, bytes, 16, 128);
        DeviceBuffer x = gpu.allocate(2 * 128, "x");
        DeviceBuffer out = gpu.allocate(4 * 16, "out");
        dev.flashj.FlashjException e = org.junit.jupiter.api.Assertions.assertThrows(dev.flashj.FlashjException.class,
                () -> gpu.ops(CudaStorage.BF16).matmul(weight, x, 0, out, 0, 16, 1, true, false));
        assertTrue(e.getMessage().contains("fp16"), e.getMessage());
    }
}
