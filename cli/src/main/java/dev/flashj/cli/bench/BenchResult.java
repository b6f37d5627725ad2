package dev.flashj.cli.bench;

/**
 * One row of the report.
 *
 * @param op               op name
 * @param shape            its sizes, command-line form
 * @param dtype            weight / element type
 * @param device           "cpu", "opencl:0:0"
 * @param runs             timed runs
 * @param inputSets        input sets rotated through
 * @param medianMs         median run time
 * @param p10Ms            10th percentile
 * @param p90Ms            90th percentile
 * @param gflops           GFLOP/s at the median
 * @param gbps             GB/s at the median (bytes moved at least once)
 * @param bound            "memory" or "compute": the roofline term that limits this case
 * @param ceilingFraction  the median's throughput over that ceiling (0.5 = half the machine's own ceiling)
 * @param checkError       the sanity check's relative error
 */
public record BenchResult(String op, String shape, String dtype, String device, int runs, int inputSets,
                          double medianMs, double p10Ms, double p90Ms, double gflops, double gbps, String bound,
                          double ceilingFraction, double checkError) {

    /** The CSV header, in the column order of {@link #csvRow()}. */
    public static final String CSV_HEADER =
            "op,shape,dtype,device,runs,input_sets,median_ms,p10_ms,p90_ms,gflops,gbps,bound,ceiling_fraction,check_error";

    /** This row as CSV (the shape is quoted: it contains commas). */
    public String csvRow() {
        return String.join(",", op, "\"" + shape + "\"", dtype, device, Integer.toString(runs), Integer.toString(inputSets),
                num(medianMs), num(p10Ms), num(p90Ms), num(gflops), num(gbps), bound, num(ceilingFraction), num(checkError));
    }

    private static String num(double v) {
        return String.format(java.util.Locale.ROOT, "%.6g", v);
    }
}
