package dev.flashj.opencl.runtime;

import dev.flashj.FlashjException;
import dev.flashj.opencl.OpenClTestSupport;
import dev.flashj.opencl.bind.ClErrors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checked adapter: buffers, typed kernel arguments, profiling, the program cache and its error messages. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClRuntimeTest {
    private static final String SCALE = """
            __kernel void scale(__global const float* in, __global float* out, float factor, int n) {
                int i = get_global_id(0);
                if (i < n) {
                    out[i] = in[i] * factor;
                }
            }
            """;

    private OpenCl cl;
    private ClContext context;
    private ClQueue queue;

    @BeforeAll
    void open() {
        cl = OpenClTestSupport.openOrSkip();
        context = cl.createContext(cl.devices().getFirst());
        queue = context.createQueue();
    }

    @AfterAll
    void close() {
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

    @Test
    void kernelRunsWithTypedArgumentsAndProfiling() {
        float[] in = {1, 2, 3, 4, 5, 6, 7};
        ClProgram program = context.programFromSource("scale", SCALE, "-cl-std=CL1.2");
        assertSame(program, context.programFromSource("scale", SCALE, "-cl-std=CL1.2"), "compiled once, then cached");
        try (ClBuffer a = context.createBuffer(4L * in.length, "in");
             ClBuffer b = context.createBuffer(4L * 8, "out");
             ClKernel k = program.kernel("scale")) {
            queue.writeFloats(a, 0, in);
            queue.fill(b, Float.NaN);
            k.arg(0, a).arg(1, b).arg(2, 2.5f).arg(3, in.length);
            assertTrue(k.maxWorkGroupSize() >= 1);
            try (ClEvent e = queue.runProfiled(k, new long[]{8}, new long[]{1})) {
                assertTrue(e.elapsedNanos() >= 0);
                assertTrue(e.profile(dev.flashj.opencl.bind.ClConstants.CL_PROFILING_COMMAND_QUEUED) > 0);
            }
            float[] out = queue.readFloats(b, 0, 8);
            assertArrayEquals(new float[]{2.5f, 5, 7.5f, 10, 12.5f, 15, 17.5f}, java.util.Arrays.copyOf(out, 7));
            assertTrue(Float.isNaN(out[7]), "the guard leaves element 7 alone");
            queue.copy(b, 4, a, 0, 8);
            assertArrayEquals(new float[]{5, 7.5f}, queue.readFloats(a, 0, 2));
        }
    }

    @Test
    void recordingKeepsTheEventsOfLaunchesAndCopiesInOrder() {
        ClProgram program = context.programFromSource("scale", SCALE, "-cl-std=CL1.2");
        try (ClBuffer a = context.createBuffer(4L * 16, "in");
             ClBuffer b = context.createBuffer(4L * 16, "out");
             ClKernel k = program.kernel("scale")) {
            queue.writeFloats(a, 0, new float[16]);
            k.arg(0, a).arg(1, b).arg(2, 2f).arg(3, 16);
            queue.startRecording();
            queue.run(k, new long[]{16}, new long[]{1});
            queue.copy(b, 0, a, 0, 64);
            java.util.List<ClEvent> events = queue.stopRecording();
            assertEquals(2, events.size());
            try {
                // Profiling info exists only once a command completed: wait for both first.
                events.forEach(ClEvent::await);
                long firstEnd = events.get(0).profile(dev.flashj.opencl.bind.ClConstants.CL_PROFILING_COMMAND_END);
                long secondStart = events.get(1).profile(dev.flashj.opencl.bind.ClConstants.CL_PROFILING_COMMAND_START);
                assertTrue(events.get(0).elapsedNanos() >= 0 && secondStart >= firstEnd, "in-order queue");
            } finally {
                events.forEach(ClEvent::close);
            }
            queue.run(k, new long[]{16}, new long[]{1});
            assertThrows(IllegalStateException.class, queue::stopRecording, "nothing recorded after the stop");
        }
    }

    @Test
    void buildFailureShowsTheBuildLog() {
        FlashjException e = assertThrows(FlashjException.class, () -> context.programFromSource("broken",
                "__kernel void broken(__global float* x) { x[0] = undeclared_thing; }", ""));
        assertTrue(e.getMessage().startsWith("clBuildProgram failed for broken on opencl:"), e.getMessage());
        assertTrue(e.getMessage().contains("CL_BUILD_PROGRAM_FAILURE (-11)"), e.getMessage());
        assertTrue(e.getMessage().contains("undeclared_thing"), "build log in the message: " + e.getMessage());
    }

    @Test
    void badKernelNameAndArgumentsNameTheCall() {
        ClProgram program = context.programFromSource("scale", SCALE, "-cl-std=CL1.2");
        FlashjException name = assertThrows(FlashjException.class, () -> program.kernel("no_such_kernel"));
        assertEquals("clCreateKernel failed for kernel no_such_kernel of scale: CL_INVALID_KERNEL_NAME (-46)", name.getMessage());
        try (ClKernel k = program.kernel("scale")) {
            FlashjException index = assertThrows(FlashjException.class, () -> k.arg(9, 1));
            assertTrue(index.getMessage().startsWith("clSetKernelArg failed for argument 9 (int 1) of kernel scale: CL_INVALID_ARG_INDEX"),
                    index.getMessage());
        }
    }

    @Test
    void oversizedBufferNamesTheBytesAsked() {
        long tooBig = context.device().maxAllocSize() + 1;
        FlashjException e = assertThrows(FlashjException.class, () -> context.createBuffer(tooBig, "kv cache"));
        assertTrue(e.getMessage().contains(tooBig + " bytes asked"), e.getMessage());
        assertTrue(e.getMessage().contains("kv cache"), e.getMessage());
        assertThrows(FlashjException.class, () -> context.createBuffer(0, "nothing"));
    }

    @Test
    void errorNames() {
        assertEquals("CL_OUT_OF_RESOURCES (-5)", ClErrors.describe(-5));
        assertEquals("CL_MEM_OBJECT_ALLOCATION_FAILURE (-4)", ClErrors.describe(-4));
        assertEquals("CL_INVALID_WORK_GROUP_SIZE (-54)", ClErrors.describe(-54));
        assertEquals("unknown OpenCL error (-12345)", ClErrors.describe(-12345));
        assertTrue(ClErrors.isOutOfMemory(-4) && !ClErrors.isOutOfMemory(-54));
        FlashjException e = assertThrows(FlashjException.class, () -> ClCheck.check(-5, "clFinish"));
        assertEquals("clFinish failed: CL_OUT_OF_RESOURCES (-5)", e.getMessage());
        FlashjException oom = assertThrows(FlashjException.class,
                () -> ClCheck.check(-4, "clCreateBuffer", "allocating 123 bytes for x"));
        assertEquals("clCreateBuffer failed allocating 123 bytes for x: CL_MEM_OBJECT_ALLOCATION_FAILURE (-4)"
                + " (the device is out of memory)", oom.getMessage());
    }

    @Test
    void platformsDescribeThemselves() {
        for (ClPlatform p : cl.platforms()) {
            assertTrue(!p.name().isEmpty() && !p.vendor().isEmpty() && p.version().startsWith("OpenCL"), p.toString());
            for (ClDevice d : p.devices()) {
                assertEquals(p.index(), d.platformIndex());
                assertTrue(d.describe().startsWith(d.id() + " " + d.name()), d.describe());
            }
        }
    }
}
