package dev.flashj.cuda.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

import static dev.flashj.cuda.runtime.CudaCheck.check;

/** A loaded module (cuModuleLoadData) and its kernels, looked up once by name. Closing unloads it. */
public final class CudaModule implements AutoCloseable {
    private final CudaContext context;
    private final MemorySegment handle;
    private final String name;
    private final Map<String, CudaFunction> functions = new HashMap<>();
    private boolean unloaded;

    CudaModule(CudaContext context, MemorySegment handle, String name) {
        this.context = context;
        this.handle = handle;
        this.name = name;
    }

    /** The kernel {@code kernelName} (an extern "C" name), or an exception naming the module and the kernel. */
    public synchronized CudaFunction function(String kernelName) {
        CudaFunction f = functions.get(kernelName);
        if (f == null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
                check(context.driver(), context.driver().cuModuleGetFunction(slot, handle, arena.allocateFrom(kernelName)),
                        "cuModuleGetFunction(" + kernelName + " in " + name + ")");
                f = new CudaFunction(context, slot.get(ValueLayout.ADDRESS, 0), kernelName);
            }
            functions.put(kernelName, f);
        }
        return f;
    }

    @Override
    public synchronized void close() {
        if (unloaded) {
            return;
        }
        unloaded = true;
        context.makeCurrent();
        check(context.driver(), context.driver().cuModuleUnload(handle), "cuModuleUnload(" + name + ")");
    }
}
