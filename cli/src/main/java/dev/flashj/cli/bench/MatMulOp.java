package dev.flashj.cli.bench;

import java.util.List;

/**
 * Weight matrix [m, k] times n activation vectors: GEMV (n = 1, decoding) or GEMM (n tokens,
 * prefill). The dtype is the weights'; activations are float32. CPU: {@code cpu.MatMul} reading
 * quantized blocks in place; OpenCL: the model's matvec/matmul kernels (f32 and f16 weights); CUDA:
 * {@code CudaOps.matmul} (GEMV for n = 1, else the tensor-core GEMM) with 16-bit activations and output.
 */
final class MatMulOp implements BenchOp {
    private static final List<Dtype> CPU_TYPES = List.of(Dtype.F32, Dtype.Q8_0, Dtype.Q4_0, Dtype.F16, Dtype.BF16,
            Dtype.Q4_K, Dtype.Q6_K);
    private static final List<Dtype> CL_TYPES = List.of(Dtype.F32, Dtype.F16);
    /** CUDA keeps weights and activations in one 16-bit type; the default is the first. */
    static final List<Dtype> CUDA_TYPES = List.of(Dtype.F16, Dtype.BF16);

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
        return switch (backend) {
            case CpuBackend cpu -> CPU_TYPES;
            case OpenClBackend cl -> CL_TYPES;
            case CudaBackend cuda -> CUDA_TYPES;
        };
    }

    @Override
    public List<Dtype> defaultDtypes(BenchBackend backend) {
        if (backend instanceof CpuBackend) {
            return name.equals("gemv") ? List.of(Dtype.F32, Dtype.Q8_0, Dtype.Q4_0) : List.of(Dtype.F32, Dtype.Q8_0);
        }
        return backend instanceof CudaBackend ? List.of(Dtype.F16) : CL_TYPES;
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
        return switch (backend) {
            case CpuBackend cpu -> new CpuMatMulCase(cpu, plan, dtype, m, k, n, work(m, k, n, dtype, 4));
            case OpenClBackend cl -> new ClMatMulCase(cl, plan, dtype, m, k, n, work(m, k, n, dtype, 4));
            case CudaBackend cuda -> new CudaMatMulCase(cuda, plan, dtype, m, k, n, work(m, k, n, dtype, 2));
        };
    }

    /**
     * 2mkn FLOPs; the weights at their stored size plus activations in and out at
     * {@code activationBytes} each (4 on the CPU and OpenCL, 2 on CUDA).
     */
    static Work work(int m, int k, int n, Dtype dtype, int activationBytes) {
        return new Work(2.0 * m * k * n, dtype.tensorType().bytesFor((long) m * k) + (double) activationBytes * n * (k + m));
    }
}
