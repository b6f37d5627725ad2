package dev.flashj.cuda;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;

/**
 * Base of the test classes that run kernels: opens the first usable GPU with the kernels loaded before the class
 * ({@link #gpu}) and closes it after; without one, every test of the class is skipped with the reason.
 */
public abstract class GpuKernelTest {
    protected static CudaTestSupport gpu;

    @BeforeAll
    static void openGpu(TestInfo test) {
        gpu = CudaTestSupport.openOrSkip(test.getTestClass().orElse(null));
    }

    @AfterAll
    static void closeGpu() {
        if (gpu != null) {
            gpu.close();
            gpu = null;
        }
    }
}
