package dev.flashj.cuda.runtime;

/**
 * One GPU as the driver describes it. {@code ordinal} is the index FlashJ shows as "cuda:N".
 *
 * @param handle the CUdevice value
 */
public record CudaDevice(int ordinal, int handle, String name, int computeMajor, int computeMinor,
                         int multiprocessors, long totalMemoryBytes, int l2CacheBytes, int maxSharedMemoryPerBlock,
                         int clockKhz, int memoryClockKhz, int memoryBusWidthBits) {

    public String id() {
        return "cuda:" + ordinal;
    }

    /** "sm_90" for compute capability 9.0. */
    public String arch() {
        return "sm_" + computeMajor + computeMinor;
    }

    /** Peak DRAM bandwidth from the clock and bus width (double data rate), in GB/s. */
    public double peakMemoryGigabytesPerSecond() {
        return 2.0 * memoryClockKhz * 1e3 * (memoryBusWidthBits / 8.0) / 1e9;
    }

    /** "cuda:0 NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB)". */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "%s %s (%s, %d SMs, %.1f GiB)", id(), name, arch(), multiprocessors,
                totalMemoryBytes / (double) (1L << 30));
    }
}
