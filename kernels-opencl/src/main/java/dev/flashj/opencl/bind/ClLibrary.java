package dev.flashj.opencl.bind;

import dev.flashj.FlashjException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The raw OpenCL 1.2 C API, one {@link MethodHandle} per symbol, all resolved when the library is
 * bound. Nothing here checks return codes: {@link dev.flashj.opencl.runtime.OpenCl} and the classes
 * beside it do. Handles ({@code cl_platform_id}, {@code cl_mem}...) are plain addresses; {@code cl_int}
 * and {@code cl_uint} map to int, {@code size_t}, {@code cl_ulong} and bitfields to long.
 */
public final class ClLibrary {

    /** The ICD loader's soname: it dispatches to every installed platform (PoCL, ROCm, NVIDIA...). */
    public static final String LIBRARY_NAME = "libOpenCL.so.1";

    private final MethodHandle getPlatformIDs;
    private final MethodHandle getPlatformInfo;
    private final MethodHandle getDeviceIDs;
    private final MethodHandle getDeviceInfo;
    private final MethodHandle createContext;
    private final MethodHandle releaseContext;
    private final MethodHandle createCommandQueue;
    private final MethodHandle releaseCommandQueue;
    private final MethodHandle createBuffer;
    private final MethodHandle releaseMemObject;
    private final MethodHandle createProgramWithSource;
    private final MethodHandle buildProgram;
    private final MethodHandle getProgramBuildInfo;
    private final MethodHandle releaseProgram;
    private final MethodHandle createKernel;
    private final MethodHandle setKernelArg;
    private final MethodHandle getKernelWorkGroupInfo;
    private final MethodHandle releaseKernel;
    private final MethodHandle enqueueReadBuffer;
    private final MethodHandle enqueueWriteBuffer;
    private final MethodHandle enqueueCopyBuffer;
    private final MethodHandle enqueueFillBuffer;
    private final MethodHandle enqueueNDRangeKernel;
    private final MethodHandle getEventProfilingInfo;
    private final MethodHandle waitForEvents;
    private final MethodHandle releaseEvent;
    private final MethodHandle finish;

    private ClLibrary(SymbolLookup lookup) {
        Linker linker = Linker.nativeLinker();
        Binder b = new Binder(linker, lookup);
        getPlatformIDs = b.bind("clGetPlatformIDs", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
        getPlatformInfo = b.bind("clGetPlatformInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        getDeviceIDs = b.bind("clGetDeviceIDs", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
        getDeviceInfo = b.bind("clGetDeviceInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        createContext = b.bind("clCreateContext", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        releaseContext = b.bind("clReleaseContext", JAVA_INT, ADDRESS);
        createCommandQueue = b.bind("clCreateCommandQueue", ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        releaseCommandQueue = b.bind("clReleaseCommandQueue", JAVA_INT, ADDRESS);
        createBuffer = b.bind("clCreateBuffer", ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS);
        releaseMemObject = b.bind("clReleaseMemObject", JAVA_INT, ADDRESS);
        createProgramWithSource = b.bind("clCreateProgramWithSource", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        buildProgram = b.bind("clBuildProgram", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        getProgramBuildInfo = b.bind("clGetProgramBuildInfo", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        releaseProgram = b.bind("clReleaseProgram", JAVA_INT, ADDRESS);
        createKernel = b.bind("clCreateKernel", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        setKernelArg = b.bind("clSetKernelArg", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS);
        getKernelWorkGroupInfo = b.bind("clGetKernelWorkGroupInfo", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        releaseKernel = b.bind("clReleaseKernel", JAVA_INT, ADDRESS);
        enqueueReadBuffer = b.bind("clEnqueueReadBuffer", JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        enqueueWriteBuffer = b.bind("clEnqueueWriteBuffer", JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        enqueueCopyBuffer = b.bind("clEnqueueCopyBuffer", JAVA_INT,
                ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
        enqueueFillBuffer = b.bind("clEnqueueFillBuffer", JAVA_INT,
                ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
        enqueueNDRangeKernel = b.bind("clEnqueueNDRangeKernel", JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        getEventProfilingInfo = b.bind("clGetEventProfilingInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        waitForEvents = b.bind("clWaitForEvents", JAVA_INT, JAVA_INT, ADDRESS);
        releaseEvent = b.bind("clReleaseEvent", JAVA_INT, ADDRESS);
        finish = b.bind("clFinish", JAVA_INT, ADDRESS);
    }

    /**
     * Loads the ICD loader into {@code arena} (it stays loaded until the arena closes) and resolves
     * every symbol.
     *
     * @throws FlashjException "libOpenCL.so.1 not found", or naming a symbol the library lacks
     */
    @SuppressWarnings("restricted") // native access is enabled by the launcher and the test JVM flags
    public static ClLibrary load(Arena arena) {
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(LIBRARY_NAME, arena);
        } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
            throw new FlashjException(LIBRARY_NAME + " not found", e);
        } catch (IllegalCallerException e) {
            throw new FlashjException("native access is disabled: start the JVM with --enable-native-access=ALL-UNNAMED", e);
        }
        return new ClLibrary(lookup);
    }

    /** Resolves symbols, naming the one that is missing. */
    private record Binder(Linker linker, SymbolLookup lookup) {
        @SuppressWarnings("restricted") // downcalls need native access, enabled like for load()
        MethodHandle bind(String symbol, MemoryLayout result, MemoryLayout... args) {
            MemorySegment address = lookup.find(symbol).orElseThrow(() -> new FlashjException(
                    LIBRARY_NAME + " lacks the symbol " + symbol + " (an OpenCL 1.2 ICD loader is required)"));
            return linker.downcallHandle(address, FunctionDescriptor.of(result, args));
        }
    }

    // --- One method per symbol, mirroring the C signature. A Throwable here is a binding bug, not a CL error.

    public int clGetPlatformIDs(int numEntries, MemorySegment platforms, MemorySegment numPlatforms) {
        try {
            return (int) getPlatformIDs.invokeExact(numEntries, platforms, numPlatforms);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clGetPlatformInfo(MemorySegment platform, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getPlatformInfo.invokeExact(platform, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clGetDeviceIDs(MemorySegment platform, long deviceType, int numEntries, MemorySegment devices, MemorySegment numDevices) {
        try {
            return (int) getDeviceIDs.invokeExact(platform, deviceType, numEntries, devices, numDevices);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clGetDeviceInfo(MemorySegment device, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getDeviceInfo.invokeExact(device, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public MemorySegment clCreateContext(MemorySegment properties, int numDevices, MemorySegment devices,
                                         MemorySegment callback, MemorySegment userData, MemorySegment errcode) {
        try {
            return (MemorySegment) createContext.invokeExact(properties, numDevices, devices, callback, userData, errcode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clReleaseContext(MemorySegment context) {
        try {
            return (int) releaseContext.invokeExact(context);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public MemorySegment clCreateCommandQueue(MemorySegment context, MemorySegment device, long properties, MemorySegment errcode) {
        try {
            return (MemorySegment) createCommandQueue.invokeExact(context, device, properties, errcode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clReleaseCommandQueue(MemorySegment queue) {
        try {
            return (int) releaseCommandQueue.invokeExact(queue);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public MemorySegment clCreateBuffer(MemorySegment context, long flags, long size, MemorySegment hostPtr, MemorySegment errcode) {
        try {
            return (MemorySegment) createBuffer.invokeExact(context, flags, size, hostPtr, errcode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clReleaseMemObject(MemorySegment mem) {
        try {
            return (int) releaseMemObject.invokeExact(mem);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public MemorySegment clCreateProgramWithSource(MemorySegment context, int count, MemorySegment strings,
                                                   MemorySegment lengths, MemorySegment errcode) {
        try {
            return (MemorySegment) createProgramWithSource.invokeExact(context, count, strings, lengths, errcode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clBuildProgram(MemorySegment program, int numDevices, MemorySegment devices, MemorySegment options,
                              MemorySegment callback, MemorySegment userData) {
        try {
            return (int) buildProgram.invokeExact(program, numDevices, devices, options, callback, userData);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clGetProgramBuildInfo(MemorySegment program, MemorySegment device, int param, long size,
                                     MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getProgramBuildInfo.invokeExact(program, device, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clReleaseProgram(MemorySegment program) {
        try {
            return (int) releaseProgram.invokeExact(program);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public MemorySegment clCreateKernel(MemorySegment program, MemorySegment name, MemorySegment errcode) {
        try {
            return (MemorySegment) createKernel.invokeExact(program, name, errcode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clSetKernelArg(MemorySegment kernel, int index, long size, MemorySegment value) {
        try {
            return (int) setKernelArg.invokeExact(kernel, index, size, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clGetKernelWorkGroupInfo(MemorySegment kernel, MemorySegment device, int param, long size,
                                        MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getKernelWorkGroupInfo.invokeExact(kernel, device, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clReleaseKernel(MemorySegment kernel) {
        try {
            return (int) releaseKernel.invokeExact(kernel);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clEnqueueReadBuffer(MemorySegment queue, MemorySegment buffer, int blocking, long offset, long size,
                                   MemorySegment ptr, int numEvents, MemorySegment waitList, MemorySegment event) {
        try {
            return (int) enqueueReadBuffer.invokeExact(queue, buffer, blocking, offset, size, ptr, numEvents, waitList, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clEnqueueWriteBuffer(MemorySegment queue, MemorySegment buffer, int blocking, long offset, long size,
                                    MemorySegment ptr, int numEvents, MemorySegment waitList, MemorySegment event) {
        try {
            return (int) enqueueWriteBuffer.invokeExact(queue, buffer, blocking, offset, size, ptr, numEvents, waitList, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clEnqueueCopyBuffer(MemorySegment queue, MemorySegment src, MemorySegment dst, long srcOffset,
                                   long dstOffset, long size, int numEvents, MemorySegment waitList, MemorySegment event) {
        try {
            return (int) enqueueCopyBuffer.invokeExact(queue, src, dst, srcOffset, dstOffset, size, numEvents, waitList, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clEnqueueFillBuffer(MemorySegment queue, MemorySegment buffer, MemorySegment pattern, long patternSize,
                                   long offset, long size, int numEvents, MemorySegment waitList, MemorySegment event) {
        try {
            return (int) enqueueFillBuffer.invokeExact(queue, buffer, pattern, patternSize, offset, size, numEvents, waitList, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clEnqueueNDRangeKernel(MemorySegment queue, MemorySegment kernel, int workDim, MemorySegment globalOffset,
                                      MemorySegment globalSize, MemorySegment localSize, int numEvents,
                                      MemorySegment waitList, MemorySegment event) {
        try {
            return (int) enqueueNDRangeKernel.invokeExact(queue, kernel, workDim, globalOffset, globalSize, localSize,
                    numEvents, waitList, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clGetEventProfilingInfo(MemorySegment event, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getEventProfilingInfo.invokeExact(event, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clWaitForEvents(int numEvents, MemorySegment events) {
        try {
            return (int) waitForEvents.invokeExact(numEvents, events);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clReleaseEvent(MemorySegment event) {
        try {
            return (int) releaseEvent.invokeExact(event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int clFinish(MemorySegment queue) {
        try {
            return (int) finish.invokeExact(queue);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("OpenCL downcall failed", t);
    }
}
