package dev.flashj.cuda;

import dev.flashj.backend.Availability;
import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.runtime.Cuda;
import dev.flashj.cuda.runtime.CudaContext;
import dev.flashj.cuda.runtime.CudaDevice;
import dev.flashj.cuda.runtime.CudaModule;
import dev.flashj.cuda.runtime.CudaStream;
import dev.flashj.cuda.runtime.DeviceBuffer;
import org.junit.jupiter.api.Assumptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared by the GPU tests: a GPU with the kernel module loaded, or a skipped test saying why not
 * ("no CUDA device: libcuda.so.1 not found ..."); uploads, poisoned outputs, read-backs, comparisons.
 */
public final class CudaTestSupport implements AutoCloseable {
    /** A quiet NaN in fp32, and two fp16 / bf16 NaNs in one 32-bit word: what outputs hold before a kernel runs. */
    public static final int NAN_F32 = 0x7fc00000;
    private static final int NAN_F16_PAIR = 0x7e007e00;
    private static final int NAN_BF16_PAIR = 0x7fc07fc0;

    public final Cuda cuda;
    public final CudaContext context;
    public final CudaModule module;
    public final CudaStream stream;
    public final CudaDevice device;
    private final List<DeviceBuffer> buffers = new ArrayList<>();
    private final List<CudaOps> ops = new ArrayList<>();

    private CudaTestSupport(Cuda cuda, CudaContext context, CudaModule module, CudaStream stream) {
        this.cuda = cuda;
        this.context = context;
        this.module = module;
        this.stream = stream;
        this.device = context.device();
    }

    /** The first usable GPU with the kernels loaded, or an aborted (skipped) test with the reason. */
    public static CudaTestSupport openOrSkip() {
        return openOrSkip(null);
    }

    /** The same, naming {@code testClass} (or the caller, when null) in the skip line on stderr. */
    public static CudaTestSupport openOrSkip(Class<?> testClass) {
        CudaKernelImage kernels = CudaKernelImage.fromClassPath();
        if (!kernels.built()) {
            skip(testClass, "no CUDA kernels in this build: " + kernels.reason());
        }
        Cuda cuda;
        try {
            cuda = Cuda.open();
        } catch (RuntimeException e) {
            skip(testClass, "no CUDA device: " + e.getMessage());
            throw e;
        }
        Availability a = CudaSupport.judge(kernels, cuda.driverVersion(), cuda.devices());
        if (!a.available()) {
            cuda.close();
            skip(testClass, "no usable CUDA device: " + a.reason());
        }
        CudaDevice device = cuda.devices().stream().filter(CudaSupport::hasKernels).findFirst().orElseThrow();
        CudaContext context = cuda.openContext(device);
        CudaModule module = context.loadModule(kernels.fatbin().orElseThrow(), "flashj-kernels.fatbin");
        return new CudaTestSupport(cuda, context, module, context.createStream());
    }

    /** Aborts the test (or the class, from @BeforeAll) and says why on stderr, where a skipped class is still seen. */
    private static void skip(Class<?> testClass, String reason) {
        String who = testClass != null ? testClass.getSimpleName()
                : StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(frames -> frames.skip(3).findFirst().map(f -> f.getDeclaringClass().getSimpleName()).orElse("?"));
        System.err.println("[GPU tests skipped] " + who + ": " + reason);
        Assumptions.abort(reason + "; skipping");
    }

    public CudaOps ops(CudaStorage storage) {
        CudaOps o = new CudaOps(module, stream, storage, device);
        ops.add(o);
        return o;
    }

    public DeviceBuffer allocate(long bytes, String purpose) {
        DeviceBuffer b = context.allocate(Math.max(bytes, 16), purpose);
        buffers.add(b);
        return b;
    }

    public DeviceBuffer floats(float[] values, String purpose) {
        DeviceBuffer b = allocate(4L * values.length, purpose);
        stream.writeFloats(b, 0, values);
        return b;
    }

    public DeviceBuffer ints(int[] values, String purpose) {
        DeviceBuffer b = allocate(4L * values.length, purpose);
        stream.writeInts(b, 0, values);
        return b;
    }

    /** values encoded in {@code storage} (so the caller's reference must use {@link CudaStorage#round}ed inputs). */
    public DeviceBuffer halves(CudaStorage storage, float[] values, String purpose) {
        short[] bits = new short[values.length];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = storage.encode(values[i]);
        }
        DeviceBuffer b = allocate(2L * values.length, purpose);
        stream.writeShorts(b, 0, bits);
        return b;
    }

    /** An fp32 output buffer full of NaN. */
    public DeviceBuffer poisonedFloats(int count, String purpose) {
        DeviceBuffer b = allocate(4L * count, purpose);
        stream.fill32(b, 0, NAN_F32, count);
        return b;
    }

    /** A 16-bit output buffer full of NaN. */
    public DeviceBuffer poisonedHalves(CudaStorage storage, int count, String purpose) {
        long words = (count + 1) / 2;
        DeviceBuffer b = allocate(4 * words, purpose);
        stream.fill32(b, 0, storage == CudaStorage.F16 ? NAN_F16_PAIR : NAN_BF16_PAIR, words);
        return b;
    }

    public float[] readHalves(CudaStorage storage, DeviceBuffer b, int count) {
        short[] bits = stream.readShorts(b, 0, count);
        float[] r = new float[count];
        for (int i = 0; i < count; i++) {
            r[i] = storage.decode(bits[i]);
        }
        return r;
    }

    public static float[] randoms(Random random, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    public static float[] rounded(CudaStorage storage, float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = storage.round(a[i]);
        }
        return r;
    }

    /** |actual - expected| <= abs + rel * |expected| everywhere; NaN (an unwritten poisoned element) fails. */
    public static void assertClose(double[] expected, float[] actual, double abs, double rel, String what) {
        if (expected.length > actual.length) {
            fail(what + ": " + actual.length + " values, expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            float a = actual[i];
            if (Double.isInfinite(e) && a == e) {
                continue;
            }
            if (Float.isNaN(a) || Math.abs(a - e) > abs + rel * Math.abs(e)) {
                fail(what + ": element " + i + " is " + a + ", expected " + e + " (tolerance " + abs + " + " + rel + " * |expected|)");
            }
        }
    }

    /** Loose tolerances for values stored in 16 bits: (abs, rel). */
    public static double[] tolerance(CudaStorage storage) {
        return storage == CudaStorage.F16 ? new double[] {2e-3, 4e-3} : new double[] {1e-2, 1.6e-2};
    }

    @Override
    public void close() {
        stream.synchronize();
        buffers.forEach(DeviceBuffer::close);
        ops.forEach(CudaOps::close);
        stream.close();
        module.close();
        context.close();
        cuda.close();
    }
}
