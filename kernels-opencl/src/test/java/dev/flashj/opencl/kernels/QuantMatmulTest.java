package dev.flashj.opencl.kernels;

import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.opencl.runtime.OpenCl;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.flashj.opencl.OpenClTestSupport.assertClose;
import static dev.flashj.opencl.OpenClTestSupport.openOrSkip;
import static dev.flashj.opencl.OpenClTestSupport.randoms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity of the in-kernel dequantizing matvec, matmul and embedding (quant_matmul.cl) with a float64
 * product of the engine's scalar {@link Dequantizer} decode, on random blocks and odd shapes. Outputs
 * are poisoned with NaN before each launch.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuantMatmulTest {
    private static final List<WeightFormat> BLOCK_FORMATS =
            List.of(WeightFormat.Q8_0, WeightFormat.Q4_0, WeightFormat.Q5_0, WeightFormat.Q4_K, WeightFormat.Q5_K,
                    WeightFormat.Q6_K);

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
        ops = new OpenClOps(context, queue, 16);
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

    /** Random quants with sane random f16 scales (random bytes there could be NaN or huge). */
    static byte[] randomBlocks(TensorType type, int rows, int cols, Random random) {
        byte[] bytes = new byte[(int) type.matrixBytes(rows, cols)];
        random.nextBytes(bytes);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int p = 0; p < bytes.length; p += type.bytesPerBlock()) {
            switch (type) {
                case Q8_0, Q4_0, Q5_0 -> buf.putShort(p, scale(random, 0.05f));
                case Q4_K, Q5_K -> {
                    buf.putShort(p, scale(random, 0.05f));
                    buf.putShort(p + 2, scale(random, 0.05f));
                }
                case Q6_K -> buf.putShort(p + 208, scale(random, 0.002f));
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        return bytes;
    }

    private static short scale(Random random, float max) {
        return Float.floatToFloat16((random.nextFloat() * 2 - 1) * max);
    }

    private static float[] decode(TensorType type, byte[] bytes, int elements) {
        float[] w = new float[elements];
        Dequantizer.dequantize(type, MemorySegment.ofArray(bytes), 0, w, 0, elements);
        return w;
    }

    private DeviceMatrix upload(WeightFormat f, byte[] bytes, int rows, int cols) {
        ClBuffer b = context.createBuffer(f.deviceBytes(rows, cols), "test " + f + " weights");
        buffers.add(b);
        QuantLayout.upload(queue, f, MemorySegment.ofArray(bytes), rows, cols, b);
        return new DeviceMatrix(b, rows, cols, f);
    }

    private ClBuffer upload(float[] data) {
        ClBuffer b = context.createBuffer(4L * data.length, "test input");
        buffers.add(b);
        queue.writeFloats(b, 0, data);
        return b;
    }

    private ClBuffer poisoned(int floats) {
        ClBuffer b = context.createBuffer(4L * floats, "test output");
        buffers.add(b);
        queue.fill(b, Float.NaN);
        return b;
    }

    /**
     * Every format with two odd row counts, a non-power-of-two number of blocks per row, and batches 1
     * (matvec), 3 and 4 (multi-token matvec), 17 (tiled, with partial tiles).
     */
    Stream<Arguments> shapes() {
        List<Arguments> cases = new ArrayList<>();
        for (WeightFormat f : BLOCK_FORMATS) {
            for (int batch : new int[]{1, 3, 4, 17}) {
                cases.add(Arguments.of(f, 37, 3, batch));
                cases.add(Arguments.of(f, 9, 5, batch));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void matmulMatchesFloat64Reference(WeightFormat f, int rows, int blocks, int batch) {
        int cols = blocks * f.blockSize();
        int xOff = 3;
        int outOff = 5;
        Random random = new Random(rows * 7919L + cols * 31L + batch);
        byte[] bytes = randomBlocks(f.fileType(), rows, cols, random);
        float[] w = decode(f.fileType(), bytes, rows * cols);
        float[] x = randoms(random, xOff + batch * cols, 1f);
        DeviceMatrix m = upload(f, bytes, rows, cols);
        ClBuffer out = poisoned(outOff + batch * rows);
        ops.matmul(m, upload(x), xOff, out, outOff, batch);
        float[] actual = queue.readFloats(out, 0, outOff + batch * rows);

        double[] expected = new double[batch * rows];
        double magnitude = 0;
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    double term = (double) w[r * cols + c] * x[xOff + b * cols + c];
                    sum += term;
                    magnitude = Math.max(magnitude, Math.abs(term));
                }
                expected[b * rows + r] = sum;
            }
        }
        // f32 accumulation of `cols` terms: error grows with the row length and the term size.
        double tolerance = 1e-6 * cols * magnitude;
        assertClose(expected, actual, outOff, tolerance, 1e-5, f + " [" + rows + ", " + cols + "] batch " + batch);
        for (int i = 0; i < outOff; i++) {
            assertTrue(Float.isNaN(actual[i]), "element " + i + " before outOff was written");
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void embeddingDecodesTheSelectedRows(WeightFormat f) {
        int vocab = 13;
        int cols = 3 * f.blockSize();
        Random random = new Random(vocab + cols);
        byte[] bytes = randomBlocks(f.fileType(), vocab, cols, random);
        float[] table = decode(f.fileType(), bytes, vocab * cols);
        int[] ids = {12, 0, 5, 5, 7, 1, 11};
        ClBuffer idBuf = context.createBuffer(4L * ids.length, "ids");
        buffers.add(idBuf);
        queue.writeInts(idBuf, 0, ids);
        ClBuffer out = poisoned(ids.length * cols);
        ops.embedding(upload(f, bytes, vocab, cols), idBuf, out, ids.length);
        double[] expected = new double[ids.length * cols];
        for (int t = 0; t < ids.length; t++) {
            for (int c = 0; c < cols; c++) {
                expected[t * cols + c] = table[ids[t] * cols + c];
            }
        }
        assertClose(expected, queue.readFloats(out, 0, expected.length), 0, 1e-7, 1e-6, f + " embedding");
    }

    Stream<WeightFormat> formats() {
        return BLOCK_FORMATS.stream();
    }

    /** The device holds the file's bytes: re-laid, never expanded. */
    @ParameterizedTest
    @MethodSource("formats")
    void deviceLayoutKeepsTheFileSize(WeightFormat f) {
        int rows = 3;
        int cols = 2 * f.blockSize();
        long fileBytes = f.fileType().matrixBytes(rows, cols);
        assertEquals(fileBytes, f.deviceBytes(rows, cols));
        long scales = QuantLayout.scaleRegion(f, rows, cols);
        if (scales >= 0) {
            assertEquals(0, scales % 4, "scale region alignment");
            assertEquals(fileBytes, scales + 2L * rows * (cols / f.blockSize()));
        }
    }

    @Test
    void rowsMustBeWholeBlocks() {
        ClBuffer b = context.createBuffer(1024, "misfit");
        buffers.add(b);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DeviceMatrix(b, 2, 48, WeightFormat.Q4_0));
        assertTrue(e.getMessage().contains("32-element blocks"), e.getMessage());
    }
}
