package dev.flashj.bench.jmh;

import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClKernel;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.opencl.runtime.OpenCl;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * What a Java call into OpenCL costs through FlashJ's Panama binding ({@code opencl.runtime}) and
 * through JOCL (JNI), on the first OpenCL device (PoCL in CI): setting a kernel argument (host-side
 * only), a small blocking host-to-device write, and the launch of an empty kernel followed by
 * {@code clFinish}. Both bindings drive the
 * same driver on the same device, so the difference is the binding's own overhead.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class BindingOverheadBenchmark {
    static final String EMPTY_KERNEL = "__kernel void empty(__global float* x) { }";

    /** FlashJ's binding: one context, queue, buffer and kernel on the first device. */
    @State(Scope.Benchmark)
    public static class Panama {
        @Param({"64", "4096", "65536"})
        int bytes;

        OpenCl cl;
        ClContext context;
        ClQueue queue;
        ClBuffer buffer;
        ClKernel kernel;
        Arena arena;
        MemorySegment host;
        final long[] global = {1};
        final long[] local = {1};

        @Setup(Level.Trial)
        public void open() {
            cl = OpenCl.open();
            context = cl.createContext(cl.devices().getFirst());
            queue = context.createQueue();
            buffer = context.createBuffer(bytes, "benchmark buffer");
            kernel = context.programFromSource("empty", EMPTY_KERNEL, "").kernel("empty");
            kernel.arg(0, buffer);
            arena = Arena.ofShared();
            host = arena.allocate(bytes, 64);
            host.fill((byte) 1);
        }

        @TearDown(Level.Trial)
        public void close() {
            kernel.close();
            buffer.close();
            queue.close();
            context.close();
            cl.close();
            arena.close();
        }
    }

    /** JOCL with the same objects, host memory in a direct buffer (JOCL's no-copy path). */
    @State(Scope.Benchmark)
    public static class Jocl {
        @Param({"64", "4096", "65536"})
        int bytes;

        cl_context context;
        cl_command_queue queue;
        cl_mem buffer;
        cl_program program;
        cl_kernel kernel;
        Pointer host;
        Pointer bufferArgument;
        final long[] global = {1};
        final long[] local = {1};

        @Setup(Level.Trial)
        @SuppressWarnings("deprecation")
        public void open() {
            CL.setExceptionsEnabled(true);
            cl_platform_id[] platforms = new cl_platform_id[1];
            CL.clGetPlatformIDs(1, platforms, null);
            cl_device_id[] devices = new cl_device_id[1];
            CL.clGetDeviceIDs(platforms[0], CL.CL_DEVICE_TYPE_ALL, 1, devices, null);
            cl_context_properties properties = new cl_context_properties();
            properties.addProperty(CL.CL_CONTEXT_PLATFORM, platforms[0]);
            context = CL.clCreateContext(properties, 1, devices, null, null, null);
            queue = CL.clCreateCommandQueue(context, devices[0], CL.CL_QUEUE_PROFILING_ENABLE, null);
            buffer = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, bytes, null, null);
            program = CL.clCreateProgramWithSource(context, 1, new String[]{EMPTY_KERNEL}, null, null);
            CL.clBuildProgram(program, 0, null, "", null, null);
            kernel = CL.clCreateKernel(program, "empty", null);
            bufferArgument = Pointer.to(buffer);
            CL.clSetKernelArg(kernel, 0, Sizeof.cl_mem, bufferArgument);
            ByteBuffer direct = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
            for (int i = 0; i < bytes; i++) {
                direct.put(i, (byte) 1);
            }
            host = Pointer.to(direct);
        }

        @TearDown(Level.Trial)
        public void close() {
            CL.clReleaseKernel(kernel);
            CL.clReleaseProgram(program);
            CL.clReleaseMemObject(buffer);
            CL.clReleaseCommandQueue(queue);
            CL.clReleaseContext(context);
        }
    }

    @Benchmark
    public void panamaWrite(Panama s) {
        s.queue.write(s.buffer, 0, s.host);
    }

    @Benchmark
    public void joclWrite(Jocl s) {
        CL.clEnqueueWriteBuffer(s.queue, s.buffer, CL.CL_TRUE, 0, s.bytes, s.host, 0, null, null);
    }

    /**
     * A call the driver answers on the host without touching the device: setting a kernel argument, which every
     * launch does several times. Here the binding's own cost is not hidden behind PoCL's command processing.
     */
    @Benchmark
    public void panamaSetArgument(Panama s) {
        s.kernel.arg(0, s.buffer);
    }

    @Benchmark
    public void joclSetArgument(Jocl s) {
        CL.clSetKernelArg(s.kernel, 0, Sizeof.cl_mem, s.bufferArgument);
    }

    /** Launch overhead: enqueue an empty one-work-item kernel and wait for it. */
    @Benchmark
    public void panamaLaunch(Panama s) {
        s.queue.run(s.kernel, s.global, s.local);
        s.queue.finish();
    }

    @Benchmark
    public void joclLaunch(Jocl s) {
        CL.clEnqueueNDRangeKernel(s.queue, s.kernel, 1, null, s.global, s.local, 0, null, null);
        CL.clFinish(s.queue);
    }
}
