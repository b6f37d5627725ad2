package dev.flashj.bench.jmh;

import dev.flashj.cuda.runtime.Cuda;
import dev.flashj.cuda.runtime.CudaContext;
import dev.flashj.cuda.runtime.CudaFunction;
import dev.flashj.cuda.runtime.CudaModule;
import dev.flashj.cuda.runtime.CudaStream;
import dev.flashj.cuda.runtime.DeviceBuffer;
import dev.flashj.cuda.runtime.KernelArgs;
import dev.flashj.cuda.runtime.PinnedBuffer;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * What a Java call into the CUDA driver costs through FlashJ's Panama binding ({@code cuda.runtime}) and through
 * JCuda (JNI), on GPU 0: an asynchronous host-to-device copy from pinned memory followed by a stream
 * synchronisation, one launch of an empty kernel followed by a synchronisation, and launches alone (100 per
 * synchronisation, the decode loop's pattern when it is not a CUDA graph). Both bindings drive the same driver in
 * the device's primary context with their own stream, buffer, pinned memory and the same PTX module, so the
 * difference is the binding's own overhead. Needs a GPU: without one the setup fails and JMH reports why.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class CudaBindingOverheadBenchmark {
    /** An empty kernel with one pointer parameter, as PTX (JIT-compiled by the driver for any GPU since sm_80). */
    static final String EMPTY_KERNEL_PTX = """
            .version 7.0
            .target sm_80
            .address_size 64

            .visible .entry empty(
                .param .u64 empty_param_0
            )
            {
                ret;
            }
            """;
    static final int LAUNCHES_PER_SYNC = 100;

    /** NUL-terminated, as cuModuleLoadData reads PTX. */
    static byte[] ptxImage() {
        byte[] text = EMPTY_KERNEL_PTX.getBytes(StandardCharsets.US_ASCII);
        byte[] image = new byte[text.length + 1];
        System.arraycopy(text, 0, image, 0, text.length);
        return image;
    }

    /** FlashJ's binding: GPU 0's primary context, a stream, a buffer, pinned memory and the empty kernel. */
    @State(Scope.Benchmark)
    public static class Panama {
        @Param({"64", "4096", "65536"})
        int bytes;

        Cuda cuda;
        CudaContext context;
        CudaStream stream;
        DeviceBuffer buffer;
        PinnedBuffer host;
        CudaModule module;
        CudaFunction kernel;
        KernelArgs args;

        @Setup(Level.Trial)
        public void open() {
            cuda = Cuda.open();
            context = cuda.openContext(cuda.device(0));
            stream = context.createStream();
            buffer = context.allocate(bytes, "benchmark buffer");
            host = context.allocatePinned(bytes, "benchmark host buffer");
            host.segment().fill((byte) 1);
            module = context.loadModule(ptxImage(), "empty kernel");
            kernel = module.function("empty");
            args = new KernelArgs().pointer(buffer);
        }

        @TearDown(Level.Trial)
        public void close() {
            stream.synchronize();
            args.close();
            module.close();
            host.close();
            buffer.close();
            stream.close();
            context.close();
            cuda.close();
        }
    }

    /** JCuda with the same objects in the same primary context. */
    @State(Scope.Benchmark)
    public static class JCuda {
        @Param({"64", "4096", "65536"})
        int bytes;

        CUdevice device;
        CUcontext context;
        CUstream stream;
        CUdeviceptr buffer;
        Pointer host;
        CUmodule module;
        CUfunction kernel;
        Pointer kernelParams;

        @Setup(Level.Trial)
        public void open() {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
            device = new CUdevice();
            JCudaDriver.cuDeviceGet(device, 0);
            context = new CUcontext();
            JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
            JCudaDriver.cuCtxSetCurrent(context);
            stream = new CUstream();
            JCudaDriver.cuStreamCreate(stream, 0);
            buffer = new CUdeviceptr();
            JCudaDriver.cuMemAlloc(buffer, bytes);
            host = new Pointer();
            JCudaDriver.cuMemAllocHost(host, bytes);
            host.getByteBuffer(0, bytes).put(0, (byte) 1);
            module = new CUmodule();
            JCudaDriver.cuModuleLoadData(module, ptxImage());
            kernel = new CUfunction();
            JCudaDriver.cuModuleGetFunction(kernel, module, "empty");
            kernelParams = Pointer.to(Pointer.to(buffer));
        }

        @TearDown(Level.Trial)
        public void close() {
            JCudaDriver.cuStreamSynchronize(stream);
            JCudaDriver.cuModuleUnload(module);
            JCudaDriver.cuMemFreeHost(host);
            JCudaDriver.cuMemFree(buffer);
            JCudaDriver.cuStreamDestroy(stream);
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
        }
    }

    @Benchmark
    public void panamaCopy(Panama s) {
        s.stream.copyToDevice(s.buffer, 0, s.host.segment());
        s.stream.synchronize();
    }

    @Benchmark
    public void jcudaCopy(JCuda s) {
        JCudaDriver.cuMemcpyHtoDAsync(s.buffer, s.host, s.bytes, s.stream);
        JCudaDriver.cuStreamSynchronize(s.stream);
    }

    /** Launch overhead including the round trip: one empty kernel, then wait for it. */
    @Benchmark
    public void panamaLaunchSync(Panama s) {
        s.kernel.launch(s.stream, 1, 1, 1, 32, 1, 1, 0, s.args);
        s.stream.synchronize();
    }

    @Benchmark
    public void jcudaLaunchSync(JCuda s) {
        JCudaDriver.cuLaunchKernel(s.kernel, 1, 1, 1, 32, 1, 1, 0, s.stream, s.kernelParams, null);
        JCudaDriver.cuStreamSynchronize(s.stream);
    }

    /** The enqueue alone, per launch: 100 launches, then one synchronisation. */
    @Benchmark
    @OperationsPerInvocation(LAUNCHES_PER_SYNC)
    public void panamaLaunch(Panama s) {
        for (int i = 0; i < LAUNCHES_PER_SYNC; i++) {
            s.kernel.launch(s.stream, 1, 1, 1, 32, 1, 1, 0, s.args);
        }
        s.stream.synchronize();
    }

    @Benchmark
    @OperationsPerInvocation(LAUNCHES_PER_SYNC)
    public void jcudaLaunch(JCuda s) {
        for (int i = 0; i < LAUNCHES_PER_SYNC; i++) {
            JCudaDriver.cuLaunchKernel(s.kernel, 1, 1, 1, 32, 1, 1, 0, s.stream, s.kernelParams, null);
        }
        JCudaDriver.cuStreamSynchronize(s.stream);
    }
}
