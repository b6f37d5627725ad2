package dev.flashj.cuda.runtime;

import java.lang.foreign.MemorySegment;

import static dev.flashj.cuda.bind.CudaConstants.CUDA_SUCCESS;
import static dev.flashj.cuda.bind.CudaConstants.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES;
import static dev.flashj.cuda.runtime.CudaCheck.check;

/** One kernel of a {@link CudaModule}. Launching is thread-safe (arguments live in the caller's {@link KernelArgs}). */
public final class CudaFunction {
    private final CudaContext context;
    private final MemorySegment handle;
    private final String name;

    CudaFunction(CudaContext context, MemorySegment handle, String name) {
        this.context = context;
        this.handle = handle;
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Lets the kernel use up to {@code bytes} of dynamic shared memory (above 48 KiB needs this opt-in). */
    public void allowDynamicSharedMemory(int bytes) {
        check(context.driver(), context.driver().cuFuncSetAttribute(handle, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
                "cuFuncSetAttribute(" + name + ", max dynamic shared memory " + bytes + ")");
    }

    /** Enqueues the kernel on {@code stream}; an error names the kernel and the launch shape. */
    public void launch(CudaStream stream, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                       int sharedMemoryBytes, KernelArgs args) {
        int code = context.driver().cuLaunchKernel(handle, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedMemoryBytes,
                stream.handle(), args.kernelParams(), MemorySegment.NULL);
        if (code != CUDA_SUCCESS) {
            throw CudaCheck.exception(context.driver(), code, "cuLaunchKernel(" + name + ", grid " + gridX + "x" + gridY + "x"
                    + gridZ + ", block " + blockX + "x" + blockY + "x" + blockZ + ", " + args.count() + " arguments)");
        }
    }
}
