package dev.flashj.opencl.kernels;

import dev.flashj.cpu.RopeTable;

import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.opencl.runtime.OpenCl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.flashj.opencl.OpenClTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity of every OpenCL kernel with a plain float64 reference on random, odd shapes. Outputs are
 * poisoned with NaN first so an element the kernel fails to write fails the test. The programs are
 * compiled once for the whole class (one context, one {@link OpenClOps}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClOpsTest {
    private static final int MAX_HEAD_DIM = 64;

    private OpenCl cl;
    private ClContext context;
    private ClQueue queue;
    private OpenClOps ops;
    private final List<ClBuffer> buffers = new ArrayList<>();

    @BeforeAll
    void open() {
        cl = openOrSkip();
        context = cl.createContext(cl.devices().getFirst());
        queue = context.createQueue();
        ops = new OpenClOps(context, queue, MAX_HEAD_DIM);
    }

    @AfterAll
    void close() {
        buffers.forEach(ClBuffer::close);
        if (ops != null) {
            ops.close();
        }
        if (queue != null) {
            queue.close();
        }
        if (context != null) {
            context.close();
        }
        if (cl != null) {
            cl.close();
        }
    }

    private ClBuffer upload(float[] data) {
        ClBuffer b = context.createBuffer(4L * Math.max(1, data.length), "test input");
        buffers.add(b);
        queue.writeFloats(b, 0, data);
        return b;
    }

    private ClBuffer uploadHalves(float[] data) {
        ClBuffer b = context.createBuffer(2L * data.length, "test f16 input");
        buffers.add(b);
        queue.writeHalves(b, 0, halves(data));
        return b;
    }

    private ClBuffer poisoned(int floats) {
        ClBuffer b = context.createBuffer(4L * floats, "test output");
        buffers.add(b);
        queue.fill(b, Float.NaN);
        return b;
    }

    @Test
    void tilingComesFromDeviceLimits() {
        String t = ops.tiling();
        assertTrue(t.startsWith("matmul " + OpenClOps.matmulTileFor(context.device())), t);
        // elementwise, rmsnorm, rope, matmul (one tile), attention (one head bound): five programs.
        assertEquals(5, context.compiledProgramCount());
    }

    @ParameterizedTest
    @CsvSource({"false, 37, 23, 11", "true, 37, 23, 11", "false, 5, 1, 3", "true, 300, 130, 7"})
    void embedding(boolean f16, int vocab, int dim, int count) {
        Random r = new Random(vocab * 31L + dim);
        float[] table = randoms(r, vocab * dim, 2f);
        float[] stored = f16 ? roundToHalf(table) : table;
        int[] ids = r.ints(count, 0, vocab).toArray();
        ClBuffer idBuf = context.createBuffer(4L * count, "ids");
        buffers.add(idBuf);
        queue.writeInts(idBuf, 0, ids);
        ClBuffer out = poisoned(count * dim);
        DeviceMatrix m = new DeviceMatrix(f16 ? uploadHalves(table) : upload(table), vocab, dim, f16);
        ops.embedding(m, idBuf, out, count);
        double[] expected = new double[count * dim];
        for (int t = 0; t < count; t++) {
            for (int i = 0; i < dim; i++) {
                expected[t * dim + i] = stored[ids[t] * dim + i];
            }
        }
        assertClose(expected, queue.readFloats(out, 0, count * dim), 0, 0, 0, "embedding");
    }

    @ParameterizedTest
    @CsvSource({"1, 1, 0, 0", "5, 17, 3, 0", "3, 301, 0, 7", "2, 1000, 11, 5"})
    void rmsNorm(int rows, int dim, int xOff, int outOff) {
        Random r = new Random(rows * 1000L + dim);
        float[] x = randoms(r, xOff + rows * dim, 3f);
        float[] w = randoms(r, dim, 1.5f);
        float eps = 1e-5f;
        ClBuffer out = poisoned(outOff + rows * dim);
        ops.rmsNorm(upload(x), xOff, upload(w), out, outOff, rows, dim, eps);
        double[] expected = new double[rows * dim];
        for (int row = 0; row < rows; row++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) {
                double v = x[xOff + row * dim + i];
                ss += v * v;
            }
            double inv = 1 / Math.sqrt(ss / dim + eps);
            for (int i = 0; i < dim; i++) {
                expected[row * dim + i] = x[xOff + row * dim + i] * inv * w[i];
            }
        }
        assertClose(expected, queue.readFloats(out, 0, outOff + rows * dim), outOff, 1e-5, 1e-5, "rmsnorm");
    }

    @ParameterizedTest
    @CsvSource({
            "INTERLEAVED, 4, 3, 10, 10, 7, 0",
            "HALF, 4, 3, 10, 10, 7, 5",
            "INTERLEAVED, 1, 8, 64, 64, 500, 0",
            "HALF, 13, 2, 24, 16, 0, 3",
            "INTERLEAVED, 6, 5, 20, 12, 30, 0"})
    void rope(RopeStyle style, int tokens, int heads, int headDim, int rotaryDims, int startPos, int xOff) {
        Random r = new Random(tokens * 7L + heads + headDim + startPos);
        RopeConfig config = new RopeConfig(10000f, rotaryDims == 12 ? new RopeScaling.Linear(4f) : new RopeScaling.None(),
                style, rotaryDims);
        RopeTable table = RopeTable.create(config, startPos + tokens);
        float[] x = randoms(r, xOff + tokens * heads * headDim, 2f);
        ClBuffer buf = upload(x);
        ops.rope(buf, xOff, upload(table.cos()), upload(table.sin()), tokens, heads, headDim, rotaryDims, startPos, style);
        double factor = rotaryDims == 12 ? 4 : 1;
        double[] expected = new double[tokens * heads * headDim];
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int base = xOff + (t * heads + h) * headDim;
                int eb = (t * heads + h) * headDim;
                for (int i = 0; i < headDim; i++) {
                    expected[eb + i] = x[base + i];
                }
                for (int p = 0; p < rotaryDims / 2; p++) {
                    double angle = (startPos + t) / factor * Math.pow(10000, -2.0 * p / rotaryDims);
                    int i0 = style == RopeStyle.HALF ? p : 2 * p;
                    int i1 = style == RopeStyle.HALF ? p + rotaryDims / 2 : 2 * p + 1;
                    double a = x[base + i0];
                    double b = x[base + i1];
                    expected[eb + i0] = a * Math.cos(angle) - b * Math.sin(angle);
                    expected[eb + i1] = a * Math.sin(angle) + b * Math.cos(angle);
                }
            }
        }
        assertClose(expected, queue.readFloats(buf, 0, x.length), xOff, 2e-5, 1e-4, "rope " + style);
    }

    @ParameterizedTest
    @CsvSource({
            "false, 19, 13, 1, 0, 0", "true, 19, 13, 1, 0, 0",
            "false, 67, 100, 3, 5, 2", "true, 67, 100, 3, 5, 2",
            "false, 33, 301, 5, 0, 0", "true, 33, 301, 5, 0, 4",
            "false, 100, 64, 37, 3, 1", "true, 7, 172, 17, 0, 0",
            "false, 1, 1, 1, 0, 0", "false, 1, 9, 6, 0, 0"})
    void matmul(boolean f16, int rows, int cols, int batch, int xOff, int outOff) {
        Random r = new Random(rows * 131L + cols * 7L + batch);
        float[] w = randoms(r, rows * cols, 1f);
        float[] stored = f16 ? roundToHalf(w) : w;
        float[] x = randoms(r, xOff + batch * cols, 1f);
        ClBuffer out = poisoned(outOff + batch * rows);
        DeviceMatrix m = new DeviceMatrix(f16 ? uploadHalves(w) : upload(w), rows, cols, f16);
        ops.matmul(m, upload(x), xOff, out, outOff, batch);
        double[] expected = new double[batch * rows];
        for (int b = 0; b < batch; b++) {
            for (int row = 0; row < rows; row++) {
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += (double) stored[row * cols + c] * x[xOff + b * cols + c];
                }
                expected[b * rows + row] = sum;
            }
        }
        assertClose(expected, queue.readFloats(out, 0, outOff + batch * rows), outOff, 1e-5 * Math.sqrt(cols), 1e-5,
                "matmul " + (f16 ? "f16" : "f32"));
    }

    @ParameterizedTest
    @CsvSource({"1", "17", "1000"})
    void siluMulAddAndBias(int n) {
        Random r = new Random(n);
        float[] g = randoms(r, n, 6f);
        float[] u = randoms(r, n, 2f);
        ClBuffer out = poisoned(n);
        ops.siluMul(upload(g), upload(u), out, n);
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            expected[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        }
        assertClose(expected, queue.readFloats(out, 0, n), 0, 1e-6, 1e-5, "silu_mul");

        ClBuffer sum = poisoned(n);
        ops.add(upload(g), upload(u), sum, n);
        for (int i = 0; i < n; i++) {
            expected[i] = (double) g[i] + u[i];
        }
        assertClose(expected, queue.readFloats(sum, 0, n), 0, 0, 1e-7, "add");

        int cols = Math.max(1, n / 5);
        int rows = n / cols;
        float[] bias = randoms(r, cols, 1f);
        ClBuffer x = upload(u);
        ops.addBias(x, n - rows * cols, upload(bias), rows, cols);
        double[] withBias = new double[n];
        for (int i = 0; i < n; i++) {
            int k = i - (n - rows * cols);
            withBias[i] = u[i] + (k >= 0 ? bias[k % cols] : 0);
        }
        assertClose(withBias, queue.readFloats(x, 0, n), 0, 1e-7, 1e-6, "add_bias");
    }

    /** Reference attention in float64: softmax over the visible keys of each query. */
    static double[] referenceAttention(float[] q, float[] k, float[] v, int tokens, int heads, int kvHeads, int headDim,
                                       int kvLen, int startPos, boolean causal) {
        double scale = 1 / Math.sqrt(headDim);
        double[] out = new double[tokens * heads * headDim];
        int group = heads / kvHeads;
        for (int t = 0; t < tokens; t++) {
            int visible = causal ? Math.min(startPos + t + 1, kvLen) : kvLen;
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                double[] s = new double[visible];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += (double) q[(t * heads + h) * headDim + d] * k[(j * kvHeads + kvh) * headDim + d];
                    }
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                double total = 0;
                for (int j = 0; j < visible; j++) {
                    s[j] = Math.exp(s[j] - max);
                    total += s[j];
                }
                for (int d = 0; d < headDim; d++) {
                    double acc = 0;
                    for (int j = 0; j < visible; j++) {
                        acc += s[j] * v[(j * kvHeads + kvh) * headDim + d];
                    }
                    out[(t * heads + h) * headDim + d] = acc / total;
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({
            // tokens, heads, kvHeads, headDim, kvLen, startPos, causal, cacheRows
            "1, 4, 4, 16, 1, 0, true, 1",
            "17, 4, 2, 24, 17, 0, true, 20",
            "30, 8, 2, 40, 97, 67, true, 97",
            "9, 4, 1, 64, 300, 291, true, 300",
            "13, 6, 3, 32, 97, 0, false, 100",
            "70, 4, 4, 8, 300, 0, false, 300",
            "100, 2, 1, 16, 100, 0, true, 128",
            "3, 8, 2, 7, 17, 14, true, 17"})
    void flashAttention(int tokens, int heads, int kvHeads, int headDim, int kvLen, int startPos, boolean causal,
                        int cacheRows) {
        Random r = new Random(tokens * 1009L + heads * 31L + kvLen);
        float[] q = randoms(r, tokens * heads * headDim, 2f);
        // The cache holds cacheRows positions; rows past kvLen are NaN so that reading them fails.
        float[] k = randoms(r, cacheRows * kvHeads * headDim, 2f);
        float[] v = randoms(r, cacheRows * kvHeads * headDim, 1f);
        for (int i = kvLen * kvHeads * headDim; i < k.length; i++) {
            k[i] = Float.NaN;
            v[i] = Float.NaN;
        }
        int outOff = 3;
        ClBuffer out = poisoned(outOff + tokens * heads * headDim);
        ops.attention(upload(q), 0, upload(k), upload(v), out, outOff, tokens, heads, kvHeads, headDim, kvLen, startPos,
                causal, (float) (1 / Math.sqrt(headDim)));
        double[] expected = referenceAttention(q, k, v, tokens, heads, kvHeads, headDim, kvLen, startPos, causal);
        assertClose(expected, queue.readFloats(out, 0, outOff + expected.length), outOff, 2e-5, 1e-4,
                "flash attention " + tokens + "x" + kvLen);
    }

    @ParameterizedTest
    @CsvSource({
            // heads, kvHeads, headDim, kvLen, chunk (0 = the ops' choice)
            "4, 4, 16, 1, 0",
            "4, 2, 24, 17, 0",
            "8, 2, 40, 97, 32",
            "8, 1, 64, 300, 0",
            "6, 3, 33, 300, 64",
            "2, 1, 8, 97, 0",
            "4, 4, 16, 17, 1"})
    void splitKvDecode(int heads, int kvHeads, int headDim, int kvLen, int chunk) {
        Random r = new Random(heads * 17L + headDim * 3L + kvLen);
        int cacheRows = kvLen + 5;
        float[] q = randoms(r, heads * headDim, 2f);
        float[] k = randoms(r, cacheRows * kvHeads * headDim, 2f);
        float[] v = randoms(r, cacheRows * kvHeads * headDim, 1f);
        for (int i = kvLen * kvHeads * headDim; i < k.length; i++) {
            k[i] = Float.NaN;
            v[i] = Float.NaN;
        }
        int useChunk = chunk == 0 ? ops.decodeChunk(kvLen, heads) : chunk;
        int numChunks = (kvLen + useChunk - 1) / useChunk;
        ClBuffer partial = poisoned(heads * numChunks * (headDim + 2));
        int outOff = 1;
        ClBuffer out = poisoned(outOff + heads * headDim);
        ops.decodeAttention(upload(q), 0, upload(k), upload(v), partial, out, outOff, heads, kvHeads, headDim, kvLen,
                useChunk, (float) (1 / Math.sqrt(headDim)));
        double[] expected = referenceAttention(q, k, v, 1, heads, kvHeads, headDim, kvLen, kvLen - 1, true);
        assertClose(expected, queue.readFloats(out, 0, outOff + expected.length), outOff, 2e-5, 1e-4,
                "split-KV decode over " + kvLen + " keys in chunks of " + useChunk);
    }
}
