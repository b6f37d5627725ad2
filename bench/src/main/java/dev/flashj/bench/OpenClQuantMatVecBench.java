package dev.flashj.bench;

import dev.flashj.opencl.kernels.DeviceMatrix;
import dev.flashj.opencl.kernels.OpenClOps;
import dev.flashj.opencl.kernels.QuantLayout;
import dev.flashj.opencl.kernels.WeightFormat;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.opencl.runtime.OpenCl;
import dev.flashj.tensor.TensorType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@link OpenClOps#matmul} on the first OpenCL device with one weight matrix per {@link WeightFormat}:
 * F16 (what the uploader used to make of every quantized matrix) against the block formats read
 * in place. Formats alternate within each round, so that load from other processes hits all
 * alike; each figure is the median of the rounds' means.
 *
 * <p>Run from the repository root:
 * <pre>
 * ./mvnw -q -o -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp engine/target/classes:kernels-opencl/target/classes:bench/target/classes \
 *      dev.flashj.bench.OpenClQuantMatVecBench [batch]
 * </pre>
 */
public final class OpenClQuantMatVecBench {
    private static final int ROUNDS = 5;
    private static final WeightFormat[] FORMATS = {
            WeightFormat.F16, WeightFormat.Q8_0, WeightFormat.Q4_0, WeightFormat.Q5_0, WeightFormat.Q4_K,
            WeightFormat.Q5_K, WeightFormat.Q6_K};

    private OpenClQuantMatVecBench() {
    }

    /** @param args optionally the batch (tokens per call; default 1, the decode matvec) */
    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int[][] shapes = {{2048, 5632}, {4096, 4096}};
        try (OpenCl cl = OpenCl.open(); ClContext context = cl.createContext(cl.devices().getFirst());
             ClQueue queue = context.createQueue();
             OpenClOps ops = new OpenClOps(context, queue, 64)) {
            System.out.println("device: " + context.device().describe() + "; " + ops.tiling() + "; batch " + batch);
            System.out.println("| rows x cols | format | weight MiB | ms per call | GB/s of weights | vs F16 |");
            System.out.println("|---|---|---|---|---|---|");
            for (int[] s : shapes) {
                run(context, queue, ops, s[0], s[1], batch);
            }
        }
    }

    private static void run(ClContext context, ClQueue queue, OpenClOps ops, int rows, int cols, int batch) {
        Random rnd = new Random(rows + cols);
        List<ClBuffer> buffers = new ArrayList<>();
        try {
            float[] xs = new float[batch * cols];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
            ClBuffer x = track(buffers, context.createBuffer(4L * xs.length, "bench x"));
            queue.writeFloats(x, 0, xs);
            ClBuffer out = track(buffers, context.createBuffer(4L * batch * rows, "bench out"));
            DeviceMatrix[] matrices = new DeviceMatrix[FORMATS.length];
            for (int f = 0; f < FORMATS.length; f++) {
                matrices[f] = matrix(context, queue, buffers, FORMATS[f], rows, cols, rnd);
            }
            long bytes = (long) rows * cols * 2;
            int iterations = (int) Math.max(2, Math.min(20, 400_000_000L / bytes / batch));
            double[][] ms = new double[FORMATS.length][ROUNDS];
            for (DeviceMatrix m : matrices) {
                time(queue, () -> ops.matmul(m, x, 0, out, 0, batch), 1);
            }
            for (int r = 0; r < ROUNDS; r++) {
                for (int f = 0; f < FORMATS.length; f++) {
                    DeviceMatrix m = matrices[f];
                    ms[f][r] = time(queue, () -> ops.matmul(m, x, 0, out, 0, batch), iterations);
                }
            }
            double f16 = median(ms[0]);
            for (int f = 0; f < FORMATS.length; f++) {
                double t = median(ms[f]);
                long weightBytes = matrices[f].buffer().byteSize();
                System.out.println(String.format(Locale.ROOT, "| %d x %d | %s | %.1f | %.2f | %.1f | %.2fx |", rows, cols,
                        FORMATS[f], weightBytes / 1048576.0, t, weightBytes / (t * 1e6), f16 / t));
            }
        } finally {
            buffers.forEach(ClBuffer::close);
        }
    }

    /** Random blocks with sane f16 scales in the device layout, or random halves for F16. */
    private static DeviceMatrix matrix(ClContext context, ClQueue queue, List<ClBuffer> buffers, WeightFormat f,
                                       int rows, int cols, Random rnd) {
        ClBuffer b = track(buffers, context.createBuffer(f.deviceBytes(rows, cols), "bench " + f));
        TensorType type = f.fileType();
        byte[] bytes = new byte[(int) type.matrixBytes(rows, cols)];
        rnd.nextBytes(bytes);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        short scale = Float.floatToFloat16(0.01f);
        int step = type.bytesPerBlock();
        for (int p = 0; p < bytes.length; p += step) {
            switch (f) {
                case F16 -> buf.putShort(p, Float.floatToFloat16((float) (rnd.nextDouble() * 2 - 1)));
                case Q8_0, Q4_0, Q5_0 -> buf.putShort(p, scale);
                case Q4_K, Q5_K -> buf.putInt(p, scale | scale << 16);
                case Q6_K -> buf.putShort(p + 208, scale);
                case F32 -> throw new IllegalArgumentException("not benchmarked: " + f);
            }
        }
        if (f.isBlockQuantized()) {
            QuantLayout.upload(queue, f, MemorySegment.ofArray(bytes), rows, cols, b);
        } else {
            try (Arena a = Arena.ofConfined()) {
                queue.write(b, 0, a.allocateFrom(ValueLayout.JAVA_BYTE, bytes));
            }
        }
        return new DeviceMatrix(b, rows, cols, f);
    }

    private static ClBuffer track(List<ClBuffer> buffers, ClBuffer b) {
        buffers.add(b);
        return b;
    }

    /** Milliseconds per call: {@code n} calls enqueued back to back, then a wait for the queue. */
    private static double time(ClQueue queue, Runnable call, int n) {
        queue.finish();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            call.run();
        }
        queue.finish();
        return (System.nanoTime() - start) / 1e6 / n;
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
