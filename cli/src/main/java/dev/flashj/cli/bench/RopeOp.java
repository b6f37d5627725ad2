package dev.flashj.cli.bench;

import dev.flashj.cpu.Rope;
import dev.flashj.cpu.RopeTable;
import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import dev.flashj.opencl.runtime.ClBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Rotary position embedding, in place, of t tokens x h heads x d (all dims rotated, GGUF's
 * interleaved pairs, theta 10000): {@code cpu.Rope}, the OpenCL {@code rope} kernel and the CUDA
 * {@code rope_f16/bf16} kernel (16-bit activations, f32 tables). Runs rotate
 * their input set further each time, which keeps values bounded (a rotation keeps norms).
 */
final class RopeOp implements BenchOp {
    private static final double TOLERANCE = 1e-4;
    static final int SAMPLES = 8;
    private static final RopeStyle STYLE = RopeStyle.INTERLEAVED;

    private final ShapeSchema schema = new ShapeSchema()
            .key("t", "tokens", 256)
            .key("h", "heads", 32)
            .key("d", "head size (all rotated)", 128)
            .preset("small", "t=5,h=3,d=16");

    @Override
    public String name() {
        return "rope";
    }

    @Override
    public String summary() {
        return "rotary embedding of t tokens x h heads x d, in place";
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
    public void validate(BenchBackend backend, Shape shape, Dtype dtype) {
        Shapes.requireMultiple("d", shape.get("d"), 2, "rotated in pairs");
    }

    @Override
    public BenchCase prepare(BenchBackend backend, Shape shape, Dtype dtype, InputPlan plan) {
        validate(backend, shape, dtype);
        int t = shape.get("t");
        int h = shape.get("h");
        int d = shape.get("d");
        int elements = AttentionOpCase.count(new int[]{t, h, d});
        RopeTable table = RopeTable.create(new RopeConfig(10000f, new RopeScaling.None(), STYLE, d), t);
        // Per element: 4 multiplies and 2 adds per pair; x read and written, the table read.
        int elementBytes = backend instanceof CudaBackend ? 2 : 4;
        Work work = new Work(3.0 * elements, elementBytes * 2.0 * elements + 4.0 * t * d);
        int sets = plan.sets(4L * elements);
        List<float[]> inputs = new ArrayList<>();
        for (int s = 0; s < sets; s++) {
            inputs.add(RandomData.floats(plan.random(), elements));
        }
        Geometry g = new Geometry(t, h, d, table);
        return switch (backend) {
            case CpuBackend cpu -> new CpuCase(inputs, g, work);
            case OpenClBackend cl -> new ClCase(cl, inputs, g, work);
            case CudaBackend cuda -> new CudaRopeCase(cuda, CudaData.storage(dtype), inputs, g.table(), t, h, d, work);
        };
    }

    /** The head vector at {@code before[at ..]} of token {@code tok}, rotated in float64 (interleaved pairs, theta 10000). */
    static double[] rotatedHead(float[] before, int at, int tok, int headDim) {
        double[] ref = new double[headDim];
        for (int i = 0; i < headDim / 2; i++) {
            double angle = tok * Math.pow(10000.0, -2.0 * i / headDim);
            double a = before[at + 2 * i];
            double b = before[at + 2 * i + 1];
            ref[2 * i] = a * Math.cos(angle) - b * Math.sin(angle);
            ref[2 * i + 1] = a * Math.sin(angle) + b * Math.cos(angle);
        }
        return ref;
    }

    private record Geometry(int tokens, int heads, int headDim, RopeTable table) {
        void rotate(float[] x) {
            Rope.applyRows(x, 0, tokens, heads, headDim, STYLE, table, 0);
        }
    }

    private record CpuCase(List<float[]> inputs, Geometry g, Work work) implements BenchCase {
        @Override
        public int inputSets() {
            return inputs.size();
        }

        @Override
        public void run(int set) {
            g.rotate(inputs.get(set % inputs.size()));
        }

        /** Sampled (token, head) vectors rotated in double from a copy taken before the run. */
        @Override
        public Comparison check() {
            float[] before = inputs.getFirst().clone();
            run(0);
            float[] after = inputs.getFirst();
            SplittableRandom pick = new SplittableRandom(11);
            SampledComparison c = new SampledComparison();
            for (int s = 0; s < SAMPLES; s++) {
                int tok = s == 0 ? g.tokens() - 1 : pick.nextInt(g.tokens());
                int head = pick.nextInt(g.heads());
                int at = (tok * g.heads() + head) * g.headDim();
                c.add(after, at, rotatedHead(before, at, tok, g.headDim()));
            }
            return c.build(TOLERANCE, "float64 rotation of " + SAMPLES + " sampled heads");
        }

        @Override
        public void close() {
        }
    }

    private static final class ClCase implements BenchCase {
        private final OpenClBackend backend;
        private final float[] first;
        private final Geometry g;
        private final Work work;
        private final List<ClBuffer> buffers = new ArrayList<>();
        private final List<ClBuffer> inputs = new ArrayList<>();
        private ClBuffer cos;
        private ClBuffer sin;

        ClCase(OpenClBackend backend, List<float[]> hostInputs, Geometry g, Work work) {
            this.backend = backend;
            this.first = hostInputs.getFirst().clone();
            this.g = g;
            this.work = work;
            try {
                for (float[] x : hostInputs) {
                    inputs.add(upload(x, "rope input"));
                }
                cos = upload(g.table().cos(), "rope cos");
                sin = upload(g.table().sin(), "rope sin");
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private ClBuffer upload(float[] data, String purpose) {
            ClBuffer b = backend.context().createBuffer(4L * data.length, purpose);
            buffers.add(b);
            backend.queue().writeFloats(b, 0, data);
            return b;
        }

        @Override
        public int inputSets() {
            return inputs.size();
        }

        @Override
        public void run(int set) {
            backend.ops().rope(inputs.get(set % inputs.size()), 0, cos, sin, g.tokens(), g.heads(), g.headDim(),
                    g.headDim(), 0, STYLE);
        }

        /** Set 0 is rewritten from its host copy, rotated once, and compared with the CPU Rope. */
        @Override
        public Comparison check() {
            ClBuffer x = inputs.getFirst();
            backend.queue().writeFloats(x, 0, first);
            run(0);
            float[] actual = backend.queue().readFloats(x, 0, first.length);
            float[] expected = first.clone();
            g.rotate(expected);
            return SampledComparison.whole(actual, expected, TOLERANCE, "CPU Rope");
        }

        @Override
        public Work work() {
            return work;
        }

        @Override
        public void close() {
            buffers.forEach(ClBuffer::close);
            buffers.clear();
        }
    }
}
