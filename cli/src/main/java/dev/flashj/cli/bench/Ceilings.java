package dev.flashj.cli.bench;

/**
 * What the machine manages at best, measured by the harness itself at the start of a run. A case
 * is judged against the roofline: at its arithmetic intensity it can reach at most
 * {@code min(flopsPerSecond, intensity * bytesPerSecond)}; whichever term is smaller is its bound.
 *
 * @param bytesPerSecond memory bandwidth
 * @param bandwidthHow   how it was measured
 * @param flopsPerSecond float32 matmul throughput
 * @param computeHow     how it was measured
 */
public record Ceilings(double bytesPerSecond, String bandwidthHow, double flopsPerSecond, String computeHow) {

    /** Which ceiling limits {@code work}: "memory" or "compute". */
    public String bound(Work work) {
        return work.intensity() * bytesPerSecond < flopsPerSecond ? "memory" : "compute";
    }

    /** The fraction of the roofline a run of {@code work} taking {@code seconds} reaches. */
    public double fraction(Work work, double seconds) {
        return bound(work).equals("memory")
                ? work.bytes() / seconds / bytesPerSecond
                : work.flops() / seconds / flopsPerSecond;
    }
}
