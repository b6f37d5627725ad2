package dev.flashj.cuda.kernels;

import dev.flashj.cuda.CudaTestSupport;
import dev.flashj.cuda.GpuKernelTest;
import dev.flashj.cuda.runtime.DeviceBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static dev.flashj.cuda.CudaTestSupport.assertClose;
import static dev.flashj.cuda.CudaTestSupport.randoms;
import static dev.flashj.cuda.CudaTestSupport.rounded;

/**
 * GEMV (one token), tensor-core GEMM (k % 8 == 0) and the simple GEMM (any k) against a float64
 * reference: odd shapes, partial tiles, fp32 and 16-bit outputs, accumulation into a wider output.
 */
class CudaMatmulTest extends GpuKernelTest {
    @ParameterizedTest(name = "{0}: m={1} n={2} k={3}")
    @CsvSource({
            "F16, 1, 33, 64", "BF16, 1, 129, 37", "F16, 3, 33, 64", "BF16, 17, 260, 72", "F16, 70, 129, 136",
            "BF16, 130, 5, 8", "F16, 5, 70, 13", "BF16, 64, 128, 32", "F16, 129, 257, 520", "BF16, 2, 3, 1"})
    void matchesReference(CudaStorage storage, int m, int n, int k) {
        Random random = new Random(m * 31L + n * 7L + k);
        float[] x = rounded(storage, randoms(random, m * k, 1));
        float[] w = rounded(storage, randoms(random, n * k, 1));
        double[] product = new double[m * n];
        for (int t = 0; t < m; t++) {
            for (int r = 0; r < n; r++) {
                double sum = 0;
                for (int i = 0; i < k; i++) {
                    sum += (double) x[t * k + i] * w[r * k + i];
                }
                product[t * n + r] = sum;
            }
        }
        CudaOps ops = gpu.ops(storage);
        DeviceMatrix weight = new DeviceMatrix(gpu.halves(storage, w, "w"), n, k);
        DeviceBuffer xb = gpu.halves(storage, x, "x");
        double scale = Math.sqrt(k);

        // 16-bit output, rows of exactly n.
        DeviceBuffer half = gpu.poisonedHalves(storage, m * n, "out");
        ops.matmul(weight, xb, 0, half, 0, n, m, false, false);
        double[] tol = CudaTestSupport.tolerance(storage);
        assertClose(product, gpu.readHalves(storage, half, m * n), tol[0] * scale, tol[1], "T out " + storage);

        // fp32 output into a wider matrix at an offset, added to what is there (the residual add).
        int ldc = n + 3;
        int offset = 2;
        float[] base = randoms(random, m * ldc + offset, 1);
        DeviceBuffer wide = gpu.floats(base, "wide");
        ops.matmul(weight, xb, 0, wide, 4L * offset, ldc, m, true, true);
        double[] expected = new double[base.length];
        for (int i = 0; i < base.length; i++) {
            expected[i] = base[i];
        }
        for (int t = 0; t < m; t++) {
            for (int r = 0; r < n; r++) {
                expected[offset + t * ldc + r] += product[t * n + r];
            }
        }
        assertClose(expected, gpu.stream.readFloats(wide, 0, base.length), 1e-4 * scale, 1e-4, "f32 accumulate " + storage);
    }
}
