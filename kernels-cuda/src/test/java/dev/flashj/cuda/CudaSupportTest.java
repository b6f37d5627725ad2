package dev.flashj.cuda;

import dev.flashj.backend.Availability;
import dev.flashj.cuda.runtime.CudaDevice;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaSupportTest {
    private static final CudaKernelImage BUILT = new CudaKernelImage(true, "kernels for sm_80..", "sm_80,sm_86,sm_89,sm_90a,compute_80", "13.0");

    private static CudaDevice gpu(int ordinal, String name, int major, int minor) {
        return new CudaDevice(ordinal, ordinal, name, major, minor, 132, 80L << 30, 50 << 20, 227 << 10, 1980_000, 2619_000, 5120);
    }

    @Test
    void builtWithoutKernelsComesFirst() {
        CudaKernelImage none = new CudaKernelImage(false, "built without CUDA kernels (nvcc was not on the PATH at build time)", "", "none");
        Availability a = CudaSupport.judge(none, 13000, List.of(gpu(0, "NVIDIA H100", 9, 0)));
        assertFalse(a.available());
        assertEquals("built without CUDA kernels (nvcc was not on the PATH at build time)", a.reason());
    }

    @Test
    void driverOlderThanNvccIsTooOld() {
        Availability a = CudaSupport.judge(BUILT, 12040, List.of(gpu(0, "NVIDIA H100", 9, 0)));
        assertFalse(a.available());
        assertEquals("driver too old: the CUDA driver supports CUDA 12.4, the kernels were built with nvcc 13.0"
                + " and need a driver for CUDA 13.0 or newer", a.reason());
    }

    @Test
    void noDevice() {
        Availability a = CudaSupport.judge(BUILT, 13000, List.of());
        assertFalse(a.available());
        assertEquals("no CUDA device (driver 13.0 found no GPU)", a.reason());
    }

    @Test
    void onlyOldGpusHaveNoKernels() {
        Availability a = CudaSupport.judge(BUILT, 13000, List.of(gpu(0, "Tesla T4", 7, 5), gpu(1, "Tesla V100", 7, 0)));
        assertFalse(a.available());
        assertEquals("no kernels for sm_75, sm_70 (the kernels need sm_80 or newer: sm_80,sm_86,sm_89,sm_90a,compute_80)",
                a.reason());
    }

    @Test
    void usableGpusAreListed() {
        Availability a = CudaSupport.judge(BUILT, 13000, List.of(gpu(0, "Tesla T4", 7, 5), gpu(1, "NVIDIA H200", 9, 0)));
        assertTrue(a.available());
        assertEquals("driver 13.0, 1 usable device(s): cuda:1 NVIDIA H200 (sm_90)", a.reason());
    }

    @Test
    void devicesAreDescribed() {
        CudaDevice h100 = gpu(0, "NVIDIA H100 80GB HBM3", 9, 0);
        assertEquals("cuda:0 NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 80.0 GiB)", h100.describe());
        assertEquals(3352.3, h100.peakMemoryGigabytesPerSecond(), 0.1);
        var details = CudaBackendProvider.details(h100, 13000);
        assertEquals("9.0 (sm_90)", details.get("computeCapability"));
        assertEquals("sm_90a cubin", details.get("kernels"));
        assertEquals("CUDA 13.0", details.get("driver"));
    }
}
