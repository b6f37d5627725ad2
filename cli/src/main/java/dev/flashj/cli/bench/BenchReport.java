package dev.flashj.cli.bench;

import java.util.List;

/**
 * Everything one {@code flashj bench} run measured: where, when, the ceilings of each device and
 * its rows. Written as JSON by {@code --json}.
 *
 * @param date     UTC time of the run (ISO-8601)
 * @param flashj   FlashJ version
 * @param java     Java runtime
 * @param machine  host CPU, processors, OS
 * @param devices  one entry per benchmarked device
 */
public record BenchReport(String date, String flashj, String java, String machine, List<DeviceRun> devices) {

    /**
     * One device's part of the run.
     *
     * @param device      "cpu", "opencl:0:0"
     * @param description what it is
     * @param ceilings    its measured ceilings
     * @param results     the rows
     */
    public record DeviceRun(String device, String description, CeilingSummary ceilings, List<BenchResult> results) {
    }

    /** Ceilings in report units. */
    public record CeilingSummary(double bandwidthGBps, String bandwidthHow, double computeGflops, String computeHow) {
        static CeilingSummary of(Ceilings c) {
            return new CeilingSummary(c.bytesPerSecond() / 1e9, c.bandwidthHow(), c.flopsPerSecond() / 1e9, c.computeHow());
        }
    }

    /** Every row of every device. */
    public List<BenchResult> allResults() {
        return devices.stream().flatMap(d -> d.results().stream()).toList();
    }
}
