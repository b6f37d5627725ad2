package dev.flashj.cli.bench;

import dev.flashj.cpu.RmsNorm;
import dev.flashj.opencl.runtime.ClBuffer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * RMSNorm of {@code rows} vectors of {@code dim} with a weight vector ({@code cpu.RmsNorm}; OpenCL
 * {@code rmsnorm} kernel; CUDA {@code rmsnorm_f16/bf16}: f32 in, 16-bit out, as in the model).
 */
final class RmsNormOp implements BenchOp {
    static final float EPS = 1e-5f;
    private static final double TOLERANCE = 1e-4;
    static final int SAMPLES = 8;

    private final ShapeSchema schema = new ShapeSchema()
            .key("rows", "vectors (tokens)", 256)
            .key("dim", "vector size", 4096)
            .preset("small", "rows=5,dim=67");

    @Override
    public String name() {
        return "rmsnorm";
    }

    @Override
    public String summary() {
        return "RMSNorm of rows x dim activations";
    }

    @Override
    public ShapeSchema schema() {
        return schema;
    }

    @Override
    public List<Dtype> dtypes(BenchBackend backend) {
        return backend instanceof CudaBackend ? MatMulOp.CUDA_TYPES : List.of(Dtype.F32);
    }

    @Override
    public BenchCase prepare(BenchBackend backend, Shape shape, Dtype dtype, InputPlan plan) {
        int rows = shape.get("rows");
        int dim = shape.get("dim");
        int elements = AttentionOpCase.count(new int[]{rows, dim});
        // f32 rows and weights in; the output in f32, or 16-bit on CUDA.
        int outBytes = backend instanceof CudaBackend ? 2 : 4;
        Work work = new Work(4.0 * elements, (4.0 + outBytes) * elements + 4.0 * dim);
        int sets = plan.sets(4L * elements);
        List<float[]> inputs = new ArrayList<>();
        for (int s = 0; s < sets; s++) {
            inputs.add(RandomData.floats(plan.random(), elements));
        }
        float[] weight = RandomData.floats(plan.random(), dim, 0.5, 1.5);
        return switch (backend) {
            case CpuBackend cpu -> new CpuCase(inputs, weight, rows, dim, work);
            case OpenClBackend cl -> new ClCase(cl, inputs, weight, rows, dim, work);
            case CudaBackend cuda -> new CudaRmsNormCase(cuda, CudaData.storage(dtype), inputs, weight, rows, dim, work);
        };
    }

    /** The reference RMSNorm of one row, in double. */
    static double[] referenceRow(float[] x, int at, float[] weight) {
        double sumSquares = 0;
        for (int c = 0; c < weight.length; c++) {
            sumSquares += (double) x[at + c] * x[at + c];
        }
        double inv = 1 / Math.sqrt(sumSquares / weight.length + EPS);
        double[] out = new double[weight.length];
        for (int c = 0; c < weight.length; c++) {
            out[c] = x[at + c] * inv * weight[c];
        }
        return out;
    }

    private record CpuCase(List<float[]> inputs, float[] weight, int rows, int dim, Work work, float[] out)
            implements BenchCase {
        CpuCase(List<float[]> inputs, float[] weight, int rows, int dim, Work work) {
            this(inputs, weight, rows, dim, work, new float[rows * dim]);
        }

        @Override
        public int inputSets() {
            return inputs.size();
        }

        @Override
        public void run(int set) {
            RmsNorm.applyRows(inputs.get(set % inputs.size()), 0, weight, EPS, out, 0, dim, rows);
        }

        @Override
        public Comparison check() {
            Arrays.fill(out, Float.NaN);
            run(0);
            SplittableRandom pick = new SplittableRandom(11);
            SampledComparison c = new SampledComparison();
            for (int s = 0; s < SAMPLES; s++) {
                int r = s == 0 ? rows - 1 : pick.nextInt(rows);
                c.add(out, r * dim, referenceRow(inputs.getFirst(), r * dim, weight));
            }
            return c.build(TOLERANCE, "float64 reference of " + SAMPLES + " sampled rows");
        }

        @Override
        public void close() {
        }
    }

    private static final class ClCase implements BenchCase {
        private final OpenClBackend backend;
        private final float[] first;
        private final float[] weight;
        private final int rows;
        private final int dim;
        private final Work work;
        private final List<ClBuffer> inputs = new ArrayList<>();
        private ClBuffer weightBuffer;
        private ClBuffer out;

        ClCase(OpenClBackend backend, List<float[]> hostInputs, float[] weight, int rows, int dim, Work work) {
            this.backend = backend;
            this.first = hostInputs.getFirst();
            this.weight = weight;
            this.rows = rows;
            this.dim = dim;
            this.work = work;
            try {
                for (float[] x : hostInputs) {
                    inputs.add(upload(x, "rmsnorm input"));
                }
                weightBuffer = upload(weight, "rmsnorm weight");
                out = backend.context().createBuffer(4L * rows * dim, "rmsnorm output");
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private ClBuffer upload(float[] data, String purpose) {
            ClBuffer b = backend.context().createBuffer(4L * data.length, purpose);
            backend.queue().writeFloats(b, 0, data);
            return b;
        }

        @Override
        public int inputSets() {
            return inputs.size();
        }

        @Override
        public void run(int set) {
            backend.ops().rmsNorm(inputs.get(set % inputs.size()), 0, weightBuffer, out, 0, rows, dim, EPS);
        }

        @Override
        public Comparison check() {
            backend.queue().fill(out, Float.NaN);
            run(0);
            float[] actual = backend.queue().readFloats(out, 0, rows * dim);
            float[] expected = new float[rows * dim];
            RmsNorm.applyRows(first, 0, weight, EPS, expected, 0, dim, rows);
            return SampledComparison.whole(actual, expected, TOLERANCE, "CPU RmsNorm");
        }

        @Override
        public Work work() {
            return work;
        }

        @Override
        public void close() {
            inputs.forEach(ClBuffer::close);
            inputs.clear();
            if (weightBuffer != null) {
                weightBuffer.close();
            }
            if (out != null) {
                out.close();
            }
        }
    }
}
