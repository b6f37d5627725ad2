package dev.flashj.cuda.kernels;

import dev.flashj.cuda.CudaTestSupport;
import dev.flashj.cuda.GpuKernelTest;
import dev.flashj.cuda.runtime.DeviceBuffer;
import dev.flashj.model.RopeStyle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static dev.flashj.cuda.CudaTestSupport.assertClose;
import static dev.flashj.cuda.CudaTestSupport.randoms;
import static dev.flashj.cuda.CudaTestSupport.rounded;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Embedding, RMSNorm, RoPE, SwiGLU, bias, KV append, argmax and top-k against float64 references, odd sizes. */
class CudaElementwiseKernelsTest extends GpuKernelTest {
    @ParameterizedTest
    @EnumSource(CudaStorage.class)
    void embeddingCopiesRowsToFp32(CudaStorage storage) {
        Random random = new Random(1);
        int vocab = 11;
        int dim = 37;
        float[] table = rounded(storage, randoms(random, vocab * dim, 2));
        int[] ids = {3, 0, 10, 3, 7};
        DeviceBuffer x = gpu.poisonedFloats(ids.length * dim, "x");
        gpu.ops(storage).embedding(new DeviceMatrix(gpu.halves(storage, table, "table"), vocab, dim), gpu.ints(ids, "ids"), x,
                ids.length);
        double[] expected = new double[ids.length * dim];
        for (int t = 0; t < ids.length; t++) {
            for (int i = 0; i < dim; i++) {
                expected[t * dim + i] = table[ids[t] * dim + i];
            }
        }
        assertClose(expected, gpu.stream.readFloats(x, 0, expected.length), 0, 0, "embedding " + storage);
    }

    @ParameterizedTest
    @EnumSource(CudaStorage.class)
    void rmsNormMatchesReference(CudaStorage storage) {
        Random random = new Random(2);
        int n = 7;
        int dim = 257;
        float eps = 1e-5f;
        float[] x = randoms(random, n * dim, 3);
        float[] weight = randoms(random, dim, 1.5);
        DeviceBuffer out = gpu.poisonedHalves(storage, n * dim, "out");
        gpu.ops(storage).rmsNorm(gpu.floats(x, "x"), 0, gpu.floats(weight, "w"), out, 0, n, dim, eps);
        double[] expected = new double[n * dim];
        for (int t = 0; t < n; t++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) {
                ss += (double) x[t * dim + i] * x[t * dim + i];
            }
            double inv = 1 / Math.sqrt(ss / dim + eps);
            for (int i = 0; i < dim; i++) {
                expected[t * dim + i] = x[t * dim + i] * inv * weight[i];
            }
        }
        double[] tol = CudaTestSupport.tolerance(storage);
        assertClose(expected, gpu.readHalves(storage, out, n * dim), tol[0], tol[1], "rmsnorm " + storage);
    }

    @ParameterizedTest
    @EnumSource(CudaStorage.class)
    void ropeRotatesPairsInBothLayouts(CudaStorage storage) {
        Random random = new Random(3);
        int n = 5;
        int heads = 3;
        int headDim = 10;
        int rotary = 8;
        int first = 3;
        int positions = first + n;
        float[] cos = randoms(random, positions * rotary / 2, 1);
        float[] sin = randoms(random, positions * rotary / 2, 1);
        for (RopeStyle style : RopeStyle.values()) {
            float[] x = rounded(storage, randoms(random, n * heads * headDim, 2));
            DeviceBuffer buffer = gpu.halves(storage, x, "x");
            gpu.ops(storage).rope(buffer, 0, gpu.floats(cos, "cos"), gpu.floats(sin, "sin"), n, heads, (long) heads * headDim,
                    headDim, rotary, first, style);
            double[] expected = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                expected[i] = x[i];
            }
            for (int t = 0; t < n; t++) {
                for (int h = 0; h < heads; h++) {
                    int base = (t * heads + h) * headDim;
                    for (int i = 0; i < rotary / 2; i++) {
                        int a = style == RopeStyle.INTERLEAVED ? 2 * i : i;
                        int b = style == RopeStyle.INTERLEAVED ? 2 * i + 1 : i + rotary / 2;
                        double c = cos[(first + t) * rotary / 2 + i];
                        double s = sin[(first + t) * rotary / 2 + i];
                        expected[base + a] = x[base + a] * c - x[base + b] * s;
                        expected[base + b] = x[base + a] * s + x[base + b] * c;
                    }
                }
            }
            double[] tol = CudaTestSupport.tolerance(storage);
            assertClose(expected, gpu.readHalves(storage, buffer, x.length), tol[0], tol[1], "rope " + style + " " + storage);
        }
    }

    @ParameterizedTest
    @EnumSource(CudaStorage.class)
    void siluMulBiasAndKvAppend(CudaStorage storage) {
        Random random = new Random(4);
        int count = 1001;
        float[] gate = rounded(storage, randoms(random, count, 4));
        float[] up = rounded(storage, randoms(random, count, 2));
        DeviceBuffer out = gpu.poisonedHalves(storage, count, "out");
        CudaOps ops = gpu.ops(storage);
        ops.siluMul(gpu.halves(storage, gate, "gate"), gpu.halves(storage, up, "up"), out, count);
        double[] expected = new double[count];
        for (int i = 0; i < count; i++) {
            expected[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
        }
        double[] tol = CudaTestSupport.tolerance(storage);
        assertClose(expected, gpu.readHalves(storage, out, count), tol[0], tol[1], "silu*mul " + storage);

        int rows = 3;
        int cols = 13;
        float[] x = rounded(storage, randoms(random, rows * cols, 1));
        float[] bias = randoms(random, cols, 1);
        DeviceBuffer xb = gpu.halves(storage, x, "x");
        ops.addBias(xb, 0, gpu.floats(bias, "bias"), rows, cols, cols);
        double[] withBias = new double[rows * cols];
        for (int i = 0; i < withBias.length; i++) {
            withBias[i] = x[i] + bias[i % cols];
        }
        assertClose(withBias, gpu.readHalves(storage, xb, rows * cols), tol[0], tol[1], "bias " + storage);

        DeviceBuffer cache = gpu.poisonedHalves(storage, 6 * cols, "cache");
        ops.kvAppend(gpu.halves(storage, x, "values"), cache, rows, cols, 2);
        float[] cached = gpu.readHalves(storage, cache, 6 * cols);
        for (int i = 0; i < rows * cols; i++) {
            assertEquals(x[i], cached[2 * cols + i], "kv append element " + i);
        }
    }

    @Test
    void argmaxAndTopKPickTheLargestLowestIndexFirst() {
        Random random = new Random(5);
        int n = 50_001;
        float[] x = randoms(random, n, 10);
        x[777] = 50;
        x[40_000] = 50;  // a tie: the lower index wins
        x[123] = 49;
        x[9] = Float.NaN;  // never picked
        CudaOps ops = gpu.ops(CudaStorage.F16);
        DeviceBuffer logits = gpu.floats(x, "logits");
        DeviceBuffer index = gpu.poisonedFloats(1, "index");
        DeviceBuffer value = gpu.poisonedFloats(1, "value");
        ops.argmax(logits, n, index, value);
        assertEquals(777, gpu.stream.readInts(index, 0, 1)[0]);
        assertEquals(50f, gpu.stream.readFloats(value, 0, 1)[0]);

        int k = 5;
        DeviceBuffer indices = gpu.poisonedFloats(k, "top indices");
        DeviceBuffer values = gpu.poisonedFloats(k, "top values");
        ops.topK(logits, gpu.poisonedFloats(n, "scratch"), n, k, indices, values);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> {
            float va = Float.isNaN(x[a]) ? Float.NEGATIVE_INFINITY : x[a];
            float vb = Float.isNaN(x[b]) ? Float.NEGATIVE_INFINITY : x[b];
            return va != vb ? Float.compare(vb, va) : Integer.compare(a, b);
        });
        int[] expected = new int[k];
        float[] expectedValues = new float[k];
        for (int i = 0; i < k; i++) {
            expected[i] = order[i];
            expectedValues[i] = x[order[i]];
        }
        assertArrayEquals(expected, gpu.stream.readInts(indices, 0, k));
        assertArrayEquals(expectedValues, gpu.stream.readFloats(values, 0, k));
    }
}
