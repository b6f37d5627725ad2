package dev.flashj.cli.bench;

/**
 * One prepared op at one shape and dtype on one backend: inputs uploaded (several sets, so that
 * successive runs read memory rather than cache), outputs allocated. Not thread-safe.
 */
public interface BenchCase extends AutoCloseable {

    /** How many input sets the case rotates through. */
    int inputSets();

    /**
     * Launches the op once on input set {@code set} (enqueued on a device; done on return on the CPU).
     * The backend's {@link BenchBackend#time} measures it.
     */
    void run(int set);

    /**
     * Poisons the output, runs the op on set 0, and returns the output next to a reference. Called
     * once before timing.
     */
    Comparison check();

    /** The work of one run. */
    Work work();

    @Override
    void close();
}
