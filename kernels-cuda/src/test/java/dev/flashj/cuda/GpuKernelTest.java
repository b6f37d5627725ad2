package dev.flashj.cuda;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the test classes that run kernels: opens the first usable GPU with the kernels loaded before the class
 * ({@link #gpu}) and closes it after; without one, every test of the class is skipped with the reason.
 */
public abstract class GpuKernelTest {
    protected static CudaTestSupport gpu;

    @BeforeAll
    static void openGpu() {
        gpu = CudaTestSupport.openOrSkip();
    }

    @AfterAll
    static void closeGpu() {
        if (gpu != null) {
            gpu.close();
            gpu = null;
        }
    }
}
