package dev.flashj.cuda.runtime;

import dev.flashj.FlashjException;
import dev.flashj.cuda.bind.CudaDriverLibrary;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.flashj.cuda.bind.CudaConstants.*;
import static dev.flashj.cuda.runtime.CudaCheck.check;

/**
 * The CUDA driver, loaded and initialised (cuInit): its version and devices, and primary contexts on
 * them. Thread-safe. Closing it unloads the library; contexts opened from it must be closed first.
 */
public final class Cuda implements AutoCloseable {
    private final Arena arena;
    private final CudaDriverLibrary driver;
    private final int driverVersion;
    private final List<CudaDevice> devices;

    private Cuda(Arena arena, CudaDriverLibrary driver, int driverVersion, List<CudaDevice> devices) {
        this.arena = arena;
        this.driver = driver;
        this.driverVersion = driverVersion;
        this.devices = devices;
    }

    /**
     * Loads libcuda.so.1, calls cuInit and reads every device's properties.
     *
     * @throws FlashjException "libcuda.so.1 not found", or a {@link CudaException} naming the failed call
     */
    public static Cuda open() {
        Arena arena = Arena.ofShared();
        try {
            CudaDriverLibrary driver = CudaDriverLibrary.load(arena);
            check(driver, driver.cuInit(0), "cuInit");
            try (Arena scratch = Arena.ofConfined()) {
                MemorySegment value = scratch.allocate(ValueLayout.JAVA_INT);
                check(driver, driver.cuDriverGetVersion(value), "cuDriverGetVersion");
                int version = value.get(ValueLayout.JAVA_INT, 0);
                check(driver, driver.cuDeviceGetCount(value), "cuDeviceGetCount");
                int count = value.get(ValueLayout.JAVA_INT, 0);
                List<CudaDevice> devices = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    devices.add(describe(driver, scratch, i));
                }
                return new Cuda(arena, driver, version, List.copyOf(devices));
            }
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static CudaDevice describe(CudaDriverLibrary driver, Arena scratch, int ordinal) {
        MemorySegment value = scratch.allocate(ValueLayout.JAVA_INT);
        check(driver, driver.cuDeviceGet(value, ordinal), "cuDeviceGet(" + ordinal + ")");
        int handle = value.get(ValueLayout.JAVA_INT, 0);
        MemorySegment name = scratch.allocate(256);
        check(driver, driver.cuDeviceGetName(name, 256, handle), "cuDeviceGetName(cuda:" + ordinal + ")");
        MemorySegment bytes = scratch.allocate(ValueLayout.JAVA_LONG);
        check(driver, driver.cuDeviceTotalMem(bytes, handle), "cuDeviceTotalMem_v2(cuda:" + ordinal + ")");
        return new CudaDevice(ordinal, handle, name.getString(0, StandardCharsets.UTF_8),
                attribute(driver, value, handle, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "compute capability major"),
                attribute(driver, value, handle, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "compute capability minor"),
                attribute(driver, value, handle, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "multiprocessor count"),
                bytes.get(ValueLayout.JAVA_LONG, 0),
                attribute(driver, value, handle, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, "L2 cache size"),
                attribute(driver, value, handle, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, "max shared memory per block (opt-in)"),
                attribute(driver, value, handle, CU_DEVICE_ATTRIBUTE_CLOCK_RATE, "clock rate"),
                attribute(driver, value, handle, CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, "memory clock rate"),
                attribute(driver, value, handle, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH, "memory bus width"));
    }

    private static int attribute(CudaDriverLibrary driver, MemorySegment value, int device, int attribute, String what) {
        check(driver, driver.cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute(" + what + ")");
        return value.get(ValueLayout.JAVA_INT, 0);
    }

    public CudaDriverLibrary driver() {
        return driver;
    }

    /** cuDriverGetVersion: 13000 for CUDA 13.0. */
    public int driverVersion() {
        return driverVersion;
    }

    /** "13.0". */
    public static String formatVersion(int version) {
        return version / 1000 + "." + (version % 1000) / 10;
    }

    public List<CudaDevice> devices() {
        return devices;
    }

    /** The device "cuda:N" names. */
    public CudaDevice device(int ordinal) {
        if (ordinal < 0 || ordinal >= devices.size()) {
            throw new FlashjException("no CUDA device cuda:" + ordinal + " (" + devices.size() + " device(s) found)");
        }
        return devices.get(ordinal);
    }

    /** Retains the device's primary context and makes it current on this thread. */
    public CudaContext openContext(CudaDevice device) {
        return CudaContext.retainPrimary(driver, device);
    }

    @Override
    public void close() {
        arena.close();
    }
}
