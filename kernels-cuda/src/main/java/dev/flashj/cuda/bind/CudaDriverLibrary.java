package dev.flashj.cuda.bind;

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
 * The raw CUDA driver API ({@code libcuda.so.1}), one {@link MethodHandle} per symbol, all resolved when
 * the library is bound. The symbols are the versioned ones cuda.h maps the plain names to
 * ({@code cuMemAlloc} is {@code cuMemAlloc_v2}...). Nothing here checks results: {@link
 * dev.flashj.cuda.runtime.CudaCheck} does, in the runtime classes. {@code CUresult}, {@code CUdevice}
 * and attributes are ints; handles ({@code CUcontext}, {@code CUstream}...) are addresses;
 * {@code CUdeviceptr} and {@code size_t} are longs.
 */
public final class CudaDriverLibrary {

    public static final String LIBRARY_NAME = "libcuda.so.1";

    private final MethodHandle init;
    private final MethodHandle driverGetVersion;
    private final MethodHandle getErrorName;
    private final MethodHandle getErrorString;
    private final MethodHandle deviceGetCount;
    private final MethodHandle deviceGet;
    private final MethodHandle deviceGetName;
    private final MethodHandle deviceGetAttribute;
    private final MethodHandle deviceTotalMem;
    private final MethodHandle primaryCtxRetain;
    private final MethodHandle primaryCtxRelease;
    private final MethodHandle ctxSetCurrent;
    private final MethodHandle ctxSynchronize;
    private final MethodHandle memGetInfo;
    private final MethodHandle streamCreate;
    private final MethodHandle streamDestroy;
    private final MethodHandle streamSynchronize;
    private final MethodHandle eventCreate;
    private final MethodHandle eventRecord;
    private final MethodHandle eventSynchronize;
    private final MethodHandle eventElapsedTime;
    private final MethodHandle eventDestroy;
    private final MethodHandle memAlloc;
    private final MethodHandle memFree;
    private final MethodHandle memAllocHost;
    private final MethodHandle memFreeHost;
    private final MethodHandle memcpyHtoD;
    private final MethodHandle memcpyDtoH;
    private final MethodHandle memcpyDtoD;
    private final MethodHandle memcpyHtoDAsync;
    private final MethodHandle memcpyDtoHAsync;
    private final MethodHandle memcpyDtoDAsync;
    private final MethodHandle memsetD32Async;
    private final MethodHandle moduleLoadData;
    private final MethodHandle moduleUnload;
    private final MethodHandle moduleGetFunction;
    private final MethodHandle funcSetAttribute;
    private final MethodHandle launchKernel;
    private final MethodHandle streamBeginCapture;
    private final MethodHandle streamEndCapture;
    private final MethodHandle graphInstantiate;
    private final MethodHandle graphLaunch;
    private final MethodHandle graphExecDestroy;
    private final MethodHandle graphDestroy;

    private CudaDriverLibrary(SymbolLookup lookup) {
        Binder b = new Binder(Linker.nativeLinker(), lookup);
        init = b.bind("cuInit", JAVA_INT, JAVA_INT);
        driverGetVersion = b.bind("cuDriverGetVersion", JAVA_INT, ADDRESS);
        getErrorName = b.bind("cuGetErrorName", JAVA_INT, JAVA_INT, ADDRESS);
        getErrorString = b.bind("cuGetErrorString", JAVA_INT, JAVA_INT, ADDRESS);
        deviceGetCount = b.bind("cuDeviceGetCount", JAVA_INT, ADDRESS);
        deviceGet = b.bind("cuDeviceGet", JAVA_INT, ADDRESS, JAVA_INT);
        deviceGetName = b.bind("cuDeviceGetName", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        deviceGetAttribute = b.bind("cuDeviceGetAttribute", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        deviceTotalMem = b.bind("cuDeviceTotalMem_v2", JAVA_INT, ADDRESS, JAVA_INT);
        primaryCtxRetain = b.bind("cuDevicePrimaryCtxRetain", JAVA_INT, ADDRESS, JAVA_INT);
        primaryCtxRelease = b.bind("cuDevicePrimaryCtxRelease_v2", JAVA_INT, JAVA_INT);
        ctxSetCurrent = b.bind("cuCtxSetCurrent", JAVA_INT, ADDRESS);
        ctxSynchronize = b.bind("cuCtxSynchronize", JAVA_INT);
        memGetInfo = b.bind("cuMemGetInfo_v2", JAVA_INT, ADDRESS, ADDRESS);
        streamCreate = b.bind("cuStreamCreate", JAVA_INT, ADDRESS, JAVA_INT);
        streamDestroy = b.bind("cuStreamDestroy_v2", JAVA_INT, ADDRESS);
        streamSynchronize = b.bind("cuStreamSynchronize", JAVA_INT, ADDRESS);
        eventCreate = b.bind("cuEventCreate", JAVA_INT, ADDRESS, JAVA_INT);
        eventRecord = b.bind("cuEventRecord", JAVA_INT, ADDRESS, ADDRESS);
        eventSynchronize = b.bind("cuEventSynchronize", JAVA_INT, ADDRESS);
        // cuda.h (12.8+) maps cuEventElapsedTime to _v2; older drivers only have the plain symbol.
        eventElapsedTime = b.bindFirst(new String[] {"cuEventElapsedTime_v2", "cuEventElapsedTime"},
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        eventDestroy = b.bind("cuEventDestroy_v2", JAVA_INT, ADDRESS);
        memAlloc = b.bind("cuMemAlloc_v2", JAVA_INT, ADDRESS, JAVA_LONG);
        memFree = b.bind("cuMemFree_v2", JAVA_INT, JAVA_LONG);
        memAllocHost = b.bind("cuMemAllocHost_v2", JAVA_INT, ADDRESS, JAVA_LONG);
        memFreeHost = b.bind("cuMemFreeHost", JAVA_INT, ADDRESS);
        memcpyHtoD = b.bind("cuMemcpyHtoD_v2", JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG);
        memcpyDtoH = b.bind("cuMemcpyDtoH_v2", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG);
        memcpyDtoD = b.bind("cuMemcpyDtoD_v2", JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG);
        memcpyHtoDAsync = b.bind("cuMemcpyHtoDAsync_v2", JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        memcpyDtoHAsync = b.bind("cuMemcpyDtoHAsync_v2", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS);
        memcpyDtoDAsync = b.bind("cuMemcpyDtoDAsync_v2", JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);
        memsetD32Async = b.bind("cuMemsetD32Async", JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS);
        moduleLoadData = b.bind("cuModuleLoadData", JAVA_INT, ADDRESS, ADDRESS);
        moduleUnload = b.bind("cuModuleUnload", JAVA_INT, ADDRESS);
        moduleGetFunction = b.bind("cuModuleGetFunction", JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        funcSetAttribute = b.bind("cuFuncSetAttribute", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        launchKernel = b.bind("cuLaunchKernel", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        // Stream capture into a CUDA graph. cuda.h maps cuStreamBeginCapture to _v2 and cuGraphInstantiate to
        // cuGraphInstantiateWithFlags (the plain cuGraphInstantiate symbol is the CUDA 10 ABI with an error log).
        streamBeginCapture = b.bind("cuStreamBeginCapture_v2", JAVA_INT, ADDRESS, JAVA_INT);
        streamEndCapture = b.bind("cuStreamEndCapture", JAVA_INT, ADDRESS, ADDRESS);
        graphInstantiate = b.bind("cuGraphInstantiateWithFlags", JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG);
        graphLaunch = b.bind("cuGraphLaunch", JAVA_INT, ADDRESS, ADDRESS);
        graphExecDestroy = b.bind("cuGraphExecDestroy", JAVA_INT, ADDRESS);
        graphDestroy = b.bind("cuGraphDestroy", JAVA_INT, ADDRESS);
    }

    /**
     * Loads {@code libcuda.so.1} into {@code arena} and binds every symbol.
     *
     * @throws FlashjException "libcuda.so.1 not found" when the loader cannot open it, or naming a missing symbol
     */
    @SuppressWarnings("restricted") // loading a library needs native access, which the launcher enables
    public static CudaDriverLibrary load(Arena arena) {
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(LIBRARY_NAME, arena);
        } catch (IllegalArgumentException e) {
            throw new FlashjException(LIBRARY_NAME + " not found (no NVIDIA driver on this machine)", e);
        } catch (IllegalCallerException e) {
            throw new FlashjException("native access is disabled: start the JVM with --enable-native-access=ALL-UNNAMED", e);
        }
        return new CudaDriverLibrary(lookup);
    }

    private record Binder(Linker linker, SymbolLookup lookup) {
        @SuppressWarnings("restricted") // downcalls need native access, enabled like for load()
        MethodHandle bind(String symbol, MemoryLayout result, MemoryLayout... args) {
            MemorySegment address = lookup.find(symbol).orElseThrow(() -> new FlashjException(
                    LIBRARY_NAME + " lacks the symbol " + symbol + " (driver too old: CUDA 12 or newer is required)"));
            return linker.downcallHandle(address, FunctionDescriptor.of(result, args));
        }

        MethodHandle bindFirst(String[] symbols, MemoryLayout result, MemoryLayout... args) {
            for (String s : symbols) {
                if (lookup.find(s).isPresent()) {
                    return bind(s, result, args);
                }
            }
            return bind(symbols[0], result, args);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("CUDA downcall failed", t);
    }

    // --- One method per symbol, mirroring the C signature. A Throwable here is a binding bug, not a CUDA error.

    public int cuInit(int flags) {
        try {
            return (int) init.invokeExact(flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuDriverGetVersion(MemorySegment version) {
        try {
            return (int) driverGetVersion.invokeExact(version);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuGetErrorName(int error, MemorySegment namePointer) {
        try {
            return (int) getErrorName.invokeExact(error, namePointer);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuGetErrorString(int error, MemorySegment stringPointer) {
        try {
            return (int) getErrorString.invokeExact(error, stringPointer);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuDeviceGetCount(MemorySegment count) {
        try {
            return (int) deviceGetCount.invokeExact(count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuDeviceGet(MemorySegment device, int ordinal) {
        try {
            return (int) deviceGet.invokeExact(device, ordinal);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuDeviceGetName(MemorySegment name, int length, int device) {
        try {
            return (int) deviceGetName.invokeExact(name, length, device);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuDeviceGetAttribute(MemorySegment value, int attribute, int device) {
        try {
            return (int) deviceGetAttribute.invokeExact(value, attribute, device);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuDeviceTotalMem(MemorySegment bytes, int device) {
        try {
            return (int) deviceTotalMem.invokeExact(bytes, device);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuDevicePrimaryCtxRetain(MemorySegment context, int device) {
        try {
            return (int) primaryCtxRetain.invokeExact(context, device);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuDevicePrimaryCtxRelease(int device) {
        try {
            return (int) primaryCtxRelease.invokeExact(device);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuCtxSetCurrent(MemorySegment context) {
        try {
            return (int) ctxSetCurrent.invokeExact(context);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuCtxSynchronize() {
        try {
            return (int) ctxSynchronize.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemGetInfo(MemorySegment free, MemorySegment total) {
        try {
            return (int) memGetInfo.invokeExact(free, total);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuStreamCreate(MemorySegment stream, int flags) {
        try {
            return (int) streamCreate.invokeExact(stream, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuStreamDestroy(MemorySegment stream) {
        try {
            return (int) streamDestroy.invokeExact(stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuStreamSynchronize(MemorySegment stream) {
        try {
            return (int) streamSynchronize.invokeExact(stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuEventCreate(MemorySegment event, int flags) {
        try {
            return (int) eventCreate.invokeExact(event, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuEventRecord(MemorySegment event, MemorySegment stream) {
        try {
            return (int) eventRecord.invokeExact(event, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuEventSynchronize(MemorySegment event) {
        try {
            return (int) eventSynchronize.invokeExact(event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuEventElapsedTime(MemorySegment milliseconds, MemorySegment start, MemorySegment end) {
        try {
            return (int) eventElapsedTime.invokeExact(milliseconds, start, end);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuEventDestroy(MemorySegment event) {
        try {
            return (int) eventDestroy.invokeExact(event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemAlloc(MemorySegment devicePointer, long bytes) {
        try {
            return (int) memAlloc.invokeExact(devicePointer, bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemFree(long devicePointer) {
        try {
            return (int) memFree.invokeExact(devicePointer);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemAllocHost(MemorySegment hostPointer, long bytes) {
        try {
            return (int) memAllocHost.invokeExact(hostPointer, bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemFreeHost(MemorySegment hostPointer) {
        try {
            return (int) memFreeHost.invokeExact(hostPointer);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemcpyHtoD(long destination, MemorySegment source, long bytes) {
        try {
            return (int) memcpyHtoD.invokeExact(destination, source, bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemcpyDtoH(MemorySegment destination, long source, long bytes) {
        try {
            return (int) memcpyDtoH.invokeExact(destination, source, bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemcpyDtoD(long destination, long source, long bytes) {
        try {
            return (int) memcpyDtoD.invokeExact(destination, source, bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemcpyHtoDAsync(long destination, MemorySegment source, long bytes, MemorySegment stream) {
        try {
            return (int) memcpyHtoDAsync.invokeExact(destination, source, bytes, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemcpyDtoHAsync(MemorySegment destination, long source, long bytes, MemorySegment stream) {
        try {
            return (int) memcpyDtoHAsync.invokeExact(destination, source, bytes, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemcpyDtoDAsync(long destination, long source, long bytes, MemorySegment stream) {
        try {
            return (int) memcpyDtoDAsync.invokeExact(destination, source, bytes, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuMemsetD32Async(long destination, int value, long count, MemorySegment stream) {
        try {
            return (int) memsetD32Async.invokeExact(destination, value, count, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuModuleLoadData(MemorySegment module, MemorySegment image) {
        try {
            return (int) moduleLoadData.invokeExact(module, image);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuModuleUnload(MemorySegment module) {
        try {
            return (int) moduleUnload.invokeExact(module);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuModuleGetFunction(MemorySegment function, MemorySegment module, MemorySegment name) {
        try {
            return (int) moduleGetFunction.invokeExact(function, module, name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuFuncSetAttribute(MemorySegment function, int attribute, int value) {
        try {
            return (int) funcSetAttribute.invokeExact(function, attribute, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** kernelParams: an array of pointers, one per kernel parameter, each to that parameter's value. */
    public int cuLaunchKernel(MemorySegment function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                              int sharedMemBytes, MemorySegment stream, MemorySegment kernelParams, MemorySegment extra) {
        try {
            return (int) launchKernel.invokeExact(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedMemBytes,
                    stream, kernelParams, extra);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** mode: a CUstreamCaptureMode ({@code CU_STREAM_CAPTURE_MODE_*}). */
    public int cuStreamBeginCapture(MemorySegment stream, int mode) {
        try {
            return (int) streamBeginCapture.invokeExact(stream, mode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Ends capture on {@code stream}; {@code graph} (a CUgraph out-parameter) is NULL when the capture was invalidated. */
    public int cuStreamEndCapture(MemorySegment stream, MemorySegment graph) {
        try {
            return (int) streamEndCapture.invokeExact(stream, graph);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuGraphInstantiateWithFlags(MemorySegment graphExec, MemorySegment graph, long flags) {
        try {
            return (int) graphInstantiate.invokeExact(graphExec, graph, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuGraphLaunch(MemorySegment graphExec, MemorySegment stream) {
        try {
            return (int) graphLaunch.invokeExact(graphExec, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuGraphExecDestroy(MemorySegment graphExec) {
        try {
            return (int) graphExecDestroy.invokeExact(graphExec);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public int cuGraphDestroy(MemorySegment graph) {
        try {
            return (int) graphDestroy.invokeExact(graph);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Reads the NUL-terminated string a {@code const char*} out-parameter points at (driver-owned, static). */
    public static String readCString(MemorySegment pointerSlot) {
        MemorySegment p = pointerSlot.get(ADDRESS, 0);
        return p.equals(MemorySegment.NULL) ? null : p.reinterpret(Long.MAX_VALUE).getString(0);
    }

}
