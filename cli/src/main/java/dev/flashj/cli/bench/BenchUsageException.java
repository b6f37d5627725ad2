package dev.flashj.cli.bench;

/**
 * A benchmark request that cannot be run as written (an unknown op, a bad shape, a dtype the op
 * lacks). {@link BenchCommand} reports it as a usage error (exit 2) naming {@link #option()}.
 */
public final class BenchUsageException extends RuntimeException {
    private final String option;

    public BenchUsageException(String option, String message) {
        super(message);
        this.option = option;
    }

    /** The option at fault: "--shape", "--op", "--dtype", "--device". */
    public String option() {
        return option;
    }
}
