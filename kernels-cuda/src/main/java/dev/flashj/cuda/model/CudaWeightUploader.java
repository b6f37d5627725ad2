package dev.flashj.cuda.model;

import dev.flashj.FlashjException;
import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.kernels.DeviceMatrix;
import dev.flashj.cuda.runtime.CudaContext;
import dev.flashj.cuda.runtime.CudaStream;
import dev.flashj.cuda.runtime.DeviceBuffer;
import dev.flashj.cuda.runtime.PinnedBuffer;
import dev.flashj.model.ModelFile;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * Copies weights from the mapped model file to the GPU, once, at load. Matrices are stored in the
 * model's 16-bit type: copied straight from the mapping when the file already holds that type,
 * otherwise decoded on the host (F32, the other 16-bit type, quantized blocks via {@link Dequantizer})
 * and converted, a chunk of whole rows at a time through pinned staging memory. Vectors (norms,
 * biases) are fp32.
 */
final class CudaWeightUploader implements AutoCloseable {
    /** Elements converted per staging chunk (8 MiB of halves). */
    private static final int CHUNK_ELEMENTS = 1 << 22;

    private final ModelFile file;
    private final CudaContext context;
    private final CudaStream stream;
    private final CudaStorage storage;
    private final List<DeviceBuffer> created;
    private final PinnedBuffer staging;
    private final float[] floats = new float[CHUNK_ELEMENTS];

    /** @param created every buffer made is added here, so the caller can release them all */
    CudaWeightUploader(ModelFile file, CudaContext context, CudaStream stream, CudaStorage storage, List<DeviceBuffer> created) {
        this.file = file;
        this.context = context;
        this.stream = stream;
        this.storage = storage;
        this.created = created;
        this.staging = context.allocatePinned(2L * CHUNK_ELEMENTS, "weight staging");
    }

    /** BF16 files stay bf16 (same range as f32); everything else becomes fp16. */
    static CudaStorage storageFor(TensorType embeddingType) {
        return embeddingType == TensorType.BF16 ? CudaStorage.BF16 : CudaStorage.F16;
    }

    /** Bytes on the GPU for a tensor: 2 per element for matrices, 4 for vectors. */
    static long deviceBytes(Tensor t) {
        return t.numElements() * (t.rank() >= 2 ? 2 : 4);
    }

    Tensor require(String name) {
        return file.weight(name).orElseThrow(() -> FlashjException.badFile(file.path(), name, "weight missing"));
    }

    /** A [rows, cols] matrix (checked against the file's shape) in the storage type. */
    DeviceMatrix matrix(Tensor t, int rows, int cols) {
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw FlashjException.badFile(file.path(), t.name(), "shape " + Arrays.toString(t.shape())
                    + " where [" + rows + ", " + cols + "] was expected");
        }
        DeviceBuffer buffer = create(2L * t.numElements(), t.name());
        boolean sameType = (t.type() == TensorType.F16 && storage == CudaStorage.F16)
                || (t.type() == TensorType.BF16 && storage == CudaStorage.BF16);
        if (sameType && t.data().isNative()) {
            stream.copyToDevice(buffer, 0, t.data());
            stream.synchronize();  // the mapping must outlive the copy
        } else {
            convert(t, buffer);
        }
        return new DeviceMatrix(buffer, rows, cols);
    }

    /** A vector of {@code n} elements as fp32. */
    DeviceBuffer vector(Tensor t, int n) {
        if (t.numElements() != n) {
            throw FlashjException.badFile(file.path(), t.name(), "shape " + Arrays.toString(t.shape())
                    + " where " + n + " elements were expected");
        }
        DeviceBuffer buffer = create(4L * n, t.name());
        stream.writeFloats(buffer, 0, Dequantizer.toFloats(t));
        return buffer;
    }

    private DeviceBuffer create(long bytes, String name) {
        DeviceBuffer b = context.allocate(bytes, name);
        created.add(b);
        return b;
    }

    /** Decodes whole rows (so quantized blocks never split) and stores them in the storage type. */
    private void convert(Tensor t, DeviceBuffer buffer) {
        int cols = (int) t.cols();
        long rows = t.rows();
        int rowsPerChunk = (int) Math.max(1, Math.min(rows, CHUNK_ELEMENTS / Math.max(1, cols)));
        if ((long) rowsPerChunk * cols > CHUNK_ELEMENTS) {
            throw FlashjException.badFile(file.path(), t.name(), "rows of " + cols + " elements exceed the staging chunk");
        }
        MemorySegment halves = staging.segment();
        try {
            for (long row = 0; row < rows; row += rowsPerChunk) {
                int n = (int) Math.min(rowsPerChunk, rows - row) * cols;
                Dequantizer.dequantize(t, row * cols, floats, 0, n);
                for (int i = 0; i < n; i++) {
                    halves.setAtIndex(ValueLayout.JAVA_SHORT, i, storage.encode(floats[i]));
                }
                stream.copyToDevice(buffer, row * cols * 2, halves.asSlice(0, 2L * n));
                stream.synchronize();  // the staging memory is refilled next
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw FlashjException.badFile(file.path(), t.name(), "cannot decode " + t.type() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        staging.close();
    }
}
