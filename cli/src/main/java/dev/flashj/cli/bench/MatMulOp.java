package dev.flashj.cli.bench;

import java.util.List;

/**
 * Weight matrix [m, k] times n activation vectors: GEMV (n = 1, decoding) or GEMM (n tokens,
 * prefill). The dtype is the weights'; activations are float32. CPU: {@code cpu.MatMul} reading
 * quantized blocks in place; OpenCL: the model's matvec/matmul kernels (f32 and f16 weights).
 */
final class MatMulOp implements BenchOp {
    private static final List<Dtype> CPU_TYPES = List.of(Dtype.F32, Dtype.Q8_0, Dtype.Q4_0, Dtype.F16, Dtype.BF16,
            Dtype.Q4_K, Dtype.Q6_K);
    private static final List<Dtype> CL_TYPES = List.of(Dtype.F32, Dtype.F16);

    private final String name;
    private final ShapeSchema schema;

    private MatMulOp(String name, ShapeSchema schema) {
        this.name = name;
        this.schema = schema;
    }

    static MatMulOp gemv() {
        return new MatMulOp("gemv", new ShapeSchema()
                .key("m", "rows (outputs)", 4096)
                .key("k", "columns (inputs)", 4096)
                .key("n", "vectors", 1)
                .preset("small", "m=67,k=256"));
    }

    static MatMulOp gemm() {
        return new MatMulOp("gemm", new ShapeSchema()
                .key("m", "rows (outputs)", 4096)
                .key("k", "columns (inputs)", 4096)
                .key("n", "tokens", 128)
                .preset("small", "m=67,k=256,n=9"));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String summary() {
        return name.equals("gemv") ? "weights [m,k] x one vector (decode matmul), dense and quantized"
                : "weights [m,k] x n tokens (prefill matmul), dense and quantized";
    }

    @Override
    public ShapeSchema schema() {
        return schema;
    }

    @Override
    public List<Dtype> dtypes(BenchBackend backend) {
        return backend instanceof CpuBackend ? CPU_TYPES : CL_TYPES;
    }

    @Override
    public List<Dtype> defaultDtypes(BenchBackend backend) {
        if (backend instanceof CpuBackend) {
            return name.equals("gemv") ? List.of(Dtype.F32, Dtype.Q8_0, Dtype.Q4_0) : List.of(Dtype.F32, Dtype.Q8_0);
        }
        return CL_TYPES;
    }

    @Override
    public void validate(BenchBackend backend, Shape shape, Dtype dtype) {
        Shapes.requireMultiple("k", shape.get("k"), dtype.tensorType().blockSize(), dtype.cliName() + " blocks");
    }

    @Override
    public BenchCase prepare(BenchBackend backend, Shape shape, Dtype dtype, InputPlan plan) {
        validate(backend, shape, dtype);
        int m = shape.get("m");
        int k = shape.get("k");
        int n = shape.get("n");
        Work work = new Work(2.0 * m * k * n, dtype.tensorType().bytesFor((long) m * k) + 4.0 * n * (k + m));
        return switch (backend) {
            case CpuBackend cpu -> new CpuMatMulCase(cpu, plan, dtype, m, k, n, work);
            case OpenClBackend cl -> new ClMatMulCase(cl, plan, dtype, m, k, n, work);
        };
    }
}
