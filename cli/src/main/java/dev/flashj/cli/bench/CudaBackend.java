package dev.flashj.cli.bench;

import dev.flashj.FlashjException;
import dev.flashj.backend.Availability;
import dev.flashj.cuda.CudaDeviceSelector;
import dev.flashj.cuda.CudaKernelImage;
import dev.flashj.cuda.CudaSupport;
import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.kernels.DeviceMatrix;
import dev.flashj.cuda.runtime.Cuda;
import dev.flashj.cuda.runtime.CudaContext;
import dev.flashj.cuda.runtime.CudaDevice;
import dev.flashj.cuda.runtime.CudaEvent;
import dev.flashj.cuda.runtime.CudaModule;
import dev.flashj.cuda.runtime.CudaStream;
import dev.flashj.cuda.runtime.DeviceBuffer;
import dev.flashj.ops.AttentionOps;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One NVIDIA GPU: the kernels-cuda kernels ({@link CudaOps}, one instance per 16-bit storage type) on
 * one stream. Each launch is timed between two CUDA events recorded on that stream, so host launch
 * cost outside the stream is not counted. The attention ops API ({@link AttentionOps}) has no CUDA
 * implementation; the CUDA cases drive {@link CudaOps} directly.
 */
public final class CudaBackend implements BenchBackend {
    /** Bytes copied for the bandwidth ceiling (well above any L2: an H100 has 50 MiB, an H200 60). */
    private static final long COPY_BYTES = 1L << 30;
    /** The square fp16 GEMM of the compute ceiling. */
    private static final int GEMM_SIZE = 8192;

    private final Cuda cuda;
    private final CudaContext context;
    private final CudaModule module;
    private final CudaStream stream;
    private final CudaEvent start;
    private final CudaEvent end;
    private final Map<CudaStorage, CudaOps> ops = new EnumMap<>(CudaStorage.class);

    private CudaBackend(Cuda cuda, CudaContext context, CudaModule module, CudaStream stream, CudaEvent start, CudaEvent end) {
        this.cuda = cuda;
        this.context = context;
        this.module = module;
        this.stream = stream;
        this.start = start;
        this.end = end;
    }

    /**
     * Opens "cuda" (device 0) or "cuda:N".
     *
     * @throws FlashjException saying why CUDA cannot be used here: no kernels in this build, libcuda.so.1 not
     *                         found, a driver too old for the kernels, no such device, or a GPU older than sm_80
     */
    public static CudaBackend open(String option) {
        CudaDeviceSelector selector = CudaDeviceSelector.parse(option);
        CudaKernelImage kernels = CudaKernelImage.fromClassPath();
        if (!kernels.built()) {
            throw unusable(option, kernels.reason());
        }
        Cuda cuda;
        try {
            cuda = Cuda.open();
        } catch (FlashjException e) {
            throw unusable(option, e.getMessage());
        } catch (LinkageError e) {
            throw unusable(option, "the CUDA driver could not be bound: " + e);
        }
        CudaContext context = null;
        CudaModule module = null;
        CudaStream stream = null;
        CudaEvent start = null;
        try {
            if (selector.ordinal() >= cuda.devices().size()) {
                throw unusable(option, "no device cuda:" + selector.ordinal() + " (" + cuda.devices().size() + " found)");
            }
            CudaDevice device = cuda.device(selector.ordinal());
            Availability verdict = CudaSupport.judge(kernels, cuda.driverVersion(), List.of(device));
            if (!verdict.available()) {
                throw unusable(option, verdict.reason());
            }
            context = cuda.openContext(device);
            module = context.loadModule(kernels.fatbin().orElseThrow(), "flashj-kernels.fatbin");
            stream = context.createStream();
            start = context.createEvent();
            return new CudaBackend(cuda, context, module, stream, start, context.createEvent());
        } catch (RuntimeException e) {
            if (start != null) {
                start.close();
            }
            if (stream != null) {
                stream.close();
            }
            if (module != null) {
                module.close();
            }
            if (context != null) {
                context.close();
            }
            cuda.close();
            throw e;
        }
    }

    /** "--device cuda: CUDA is not usable here: libcuda.so.1 not found ...". */
    static FlashjException unusable(String option, String reason) {
        return new FlashjException("--device " + option + ": CUDA is not usable here: " + reason);
    }

    public CudaContext context() {
        return context;
    }

    public CudaStream stream() {
        return stream;
    }

    public CudaDevice device() {
        return context.device();
    }

    /** The kernels for one storage type, on this backend's stream. */
    public CudaOps ops(CudaStorage storage) {
        return ops.computeIfAbsent(storage, s -> new CudaOps(module, stream, s, device()));
    }

    @Override
    public String id() {
        return device().id();
    }

    @Override
    public String description() {
        CudaDevice d = device();
        return String.format(Locale.ROOT, "%s, %d MiB L2, driver CUDA %s, kernels: %s; DRAM peak %.0f GB/s from clock and"
                        + " bus width", d.describe().substring(d.id().length() + 1), d.l2CacheBytes() >> 20,
                Cuda.formatVersion(cuda.driverVersion()), CudaKernelImage.codeFor(d.computeMajor(), d.computeMinor()),
                d.peakMemoryGigabytesPerSecond());
    }

    /** GPU time between an event recorded before and one recorded after the launch, on this stream. */
    @Override
    public long timeNanos(Runnable launch) {
        context.makeCurrent();
        start.record(stream);
        launch.run();
        end.record(stream);
        end.synchronize();
        return Math.round(end.millisecondsSince(start) * 1e6);
    }

    /** The GPU's L2, as the driver reports it. */
    @Override
    public long cacheBytes() {
        return Math.max(1L << 20, device().l2CacheBytes());
    }

    @Override
    public boolean hasAttentionOps() {
        return false;
    }

    @Override
    public AttentionOps attentionOps() {
        throw new UnsupportedOperationException("the CUDA bench drives CudaOps directly; there are no AttentionOps on CUDA");
    }

    /**
     * Bandwidth: a device-to-device copy of 1 GiB (bytes read plus bytes written), best of 5. Compute:
     * FlashJ's own tensor-core fp16 GEMM (fp32 accumulation) on 8192 x 8192 x 8192, best of 5. There is
     * no vendor GEMM in FlashJ, so this is the best FlashJ reaches, not the chip's peak: the
     * side-by-side run (scripts/side-by-side.sh) puts torch.matmul's figure beside it.
     */
    @Override
    public Ceilings measureCeilings(boolean small) {
        context.makeCurrent();
        long free = context.memoryInfo()[0];
        long bytes = Math.min(small ? COPY_BYTES / 16 : COPY_BYTES, free / 4);
        double bandwidth;
        try (DeviceBuffer a = context.allocate(bytes, "bandwidth source");
             DeviceBuffer b = context.allocate(bytes, "bandwidth target")) {
            stream.fill32(a, 0, Float.floatToRawIntBits(1f), bytes / 4);
            bandwidth = 2.0 * bytes / (best(() -> stream.copyDeviceToDevice(b, 0, a, 0, bytes)) / 1e9);
        }
        int size = small ? GEMM_SIZE / 4 : GEMM_SIZE;
        double gemm;
        CudaStorage storage = CudaStorage.F16;
        SplittableRandom random = new SplittableRandom(7);
        long elements = (long) size * size;
        try (DeviceBuffer x = CudaData.randomPattern(this, storage, elements, random, "ceiling activations");
             DeviceBuffer w = CudaData.randomPattern(this, storage, elements, random, "ceiling weights");
             DeviceBuffer out = context.allocate(2 * elements, "ceiling output")) {
            DeviceMatrix m = new DeviceMatrix(w, size, size);
            CudaOps f16 = ops(storage);
            gemm = 2.0 * elements * size / (best(() -> f16.matmul(m, x, 0, out, 0, size, size, false, false)) / 1e9);
        }
        return new Ceilings(bandwidth,
                String.format(Locale.ROOT, "device copy of %d MiB (read + write), CUDA events, best of 5", bytes >> 20),
                gemm,
                String.format(Locale.ROOT, "FlashJ gemm_f16 %dx%dx%d (fp32 accumulation), CUDA events, best of 5;"
                        + " FlashJ's own GEMM, not the chip's peak", size, size, size));
    }

    /** The fastest of 5 timed launches after one untimed one. */
    private long best(Runnable launch) {
        long best = Long.MAX_VALUE;
        for (int pass = 0; pass < 6; pass++) {
            long t = timeNanos(launch);
            if (pass > 0) {
                best = Math.min(best, t);
            }
        }
        return best;
    }

    @Override
    public void close() {
        try {
            context.makeCurrent();
            stream.synchronize();
        } finally {
            ops.values().forEach(CudaOps::close);
            start.close();
            end.close();
            stream.close();
            module.close();
            context.close();
            cuda.close();
        }
    }
}
