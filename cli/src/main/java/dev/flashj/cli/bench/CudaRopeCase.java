package dev.flashj.cli.bench;

import dev.flashj.cpu.RopeTable;
import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.runtime.DeviceBuffer;
import dev.flashj.model.RopeStyle;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@link CudaOps#rope} in place on 16-bit activations [t, h, d] (every dim rotated, interleaved pairs),
 * f32 cos/sin tables. Checked on sampled heads against {@link RopeOp#rotatedHead}.
 */
final class CudaRopeCase implements BenchCase {
    private final CudaBackend backend;
    private final CudaStorage storage;
    private final CudaOps ops;
    private final float[] first;
    private final int tokens;
    private final int heads;
    private final int headDim;
    private final Work work;
    private final List<DeviceBuffer> inputs = new ArrayList<>();
    private final List<DeviceBuffer> tables = new ArrayList<>();

    CudaRopeCase(CudaBackend backend, CudaStorage storage, List<float[]> hostInputs, RopeTable table, int tokens, int heads,
                 int headDim, Work work) {
        this.backend = backend;
        this.storage = storage;
        this.ops = backend.ops(storage);
        this.first = CudaData.round(storage, hostInputs.getFirst().clone());
        this.tokens = tokens;
        this.heads = heads;
        this.headDim = headDim;
        this.work = work;
        try {
            for (int s = 0; s < hostInputs.size(); s++) {
                inputs.add(CudaData.upload(backend, storage, hostInputs.get(s), "rope input " + s));
            }
            tables.add(CudaData.uploadFloats(backend, table.cos(), "rope cos"));
            tables.add(CudaData.uploadFloats(backend, table.sin(), "rope sin"));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public int inputSets() {
        return inputs.size();
    }

    @Override
    public void run(int set) {
        ops.rope(inputs.get(set % inputs.size()), 0, tables.get(0), tables.get(1), tokens, heads, (long) heads * headDim,
                headDim, headDim, 0, RopeStyle.INTERLEAVED);
    }

    /** Set 0 is rewritten from its rounded host copy, rotated once, and sampled heads compared in float64. */
    @Override
    public Comparison check() {
        DeviceBuffer x = inputs.getFirst();
        x.close();
        inputs.set(0, CudaData.upload(backend, storage, first, "rope input 0"));
        run(0);
        float[] after = CudaData.download(backend, storage, inputs.getFirst(), first.length);
        SplittableRandom pick = new SplittableRandom(11);
        SampledComparison c = new SampledComparison();
        for (int s = 0; s < RopeOp.SAMPLES; s++) {
            int tok = s == 0 ? tokens - 1 : pick.nextInt(tokens);
            int at = (tok * heads + pick.nextInt(heads)) * headDim;
            c.add(after, at, RopeOp.rotatedHead(first, at, tok, headDim));
        }
        return c.build(CudaData.tolerance(storage), "float64 rotation of " + RopeOp.SAMPLES + " sampled heads");
    }

    @Override
    public Work work() {
        return work;
    }

    @Override
    public void close() {
        inputs.forEach(DeviceBuffer::close);
        inputs.clear();
        tables.forEach(DeviceBuffer::close);
        tables.clear();
    }
}
