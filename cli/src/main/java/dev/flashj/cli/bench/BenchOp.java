package dev.flashj.cli.bench;

import java.util.List;

/** One benchmarkable kernel: its name, its sizes, its dtypes, and how to prepare a case of it on a backend. */
public interface BenchOp {

    /** The --op name: "flash-prefill", "gemv". */
    String name();

    /** One line for --list-ops and the docs. */
    String summary();

    ShapeSchema schema();

    /** The dtypes this op supports on {@code backend} (empty: the op does not run there). */
    List<Dtype> dtypes(BenchBackend backend);

    /** The dtypes run when --dtype is not given (a subset of {@link #dtypes}). */
    default List<Dtype> defaultDtypes(BenchBackend backend) {
        List<Dtype> all = dtypes(backend);
        return all.isEmpty() ? all : List.of(all.getFirst());
    }

    /**
     * Checks the sizes against each other and the backend before anything is measured.
     *
     * @throws BenchUsageException naming --shape when the sizes do not fit the op
     */
    default void validate(BenchBackend backend, Shape shape, Dtype dtype) {
    }

    /**
     * Uploads inputs and allocates outputs for one case.
     *
     * @throws BenchUsageException naming --shape when the sizes do not fit the op (heads not a multiple of KV heads...)
     */
    BenchCase prepare(BenchBackend backend, Shape shape, Dtype dtype, InputPlan plan);
}
