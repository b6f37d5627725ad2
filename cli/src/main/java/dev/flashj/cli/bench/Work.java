package dev.flashj.cli.bench;

/**
 * What one run of a case does, for throughput: floating-point operations (a multiply-add counts 2)
 * and the bytes it must move at least once (inputs read, outputs written).
 */
public record Work(double flops, double bytes) {

    /** Operations per byte moved. */
    public double intensity() {
        return bytes == 0 ? Double.POSITIVE_INFINITY : flops / bytes;
    }
}
