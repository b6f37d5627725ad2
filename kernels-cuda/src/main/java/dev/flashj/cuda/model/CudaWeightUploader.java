package dev.flashj.cuda.model;

import dev.flashj.FlashjException;
import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.kernels.DeviceMatrix;
import dev.flashj.cuda.kernels.DeviceWeight;
import dev.flashj.cuda.kernels.QuantFormat;
import dev.flashj.cuda.kernels.QuantizedMatrix;
import dev.flashj.cuda.quant.Fp8TileLayout;
import dev.flashj.cuda.quant.Int4TileLayout;
import dev.flashj.cuda.runtime.CudaContext;
import dev.flashj.cuda.runtime.CudaStream;
import dev.flashj.cuda.runtime.DeviceBuffer;
import dev.flashj.cuda.runtime.PinnedBuffer;
import dev.flashj.model.ModelFile;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Copies weights from the mapped model file to the GPU, once, at load. Matrices are stored in the
 * model's 16-bit type: copied straight from the mapping when the file already holds that type,
 * otherwise decoded on the host (F32, the other 16-bit type, quantized blocks via {@link Dequantizer})
 * and converted, a chunk of whole rows at a time through pinned staging memory. Vectors (norms,
 * biases) are fp32. With fp16 activations, Q8_0/Q4_0/Q4_K/Q6_K/INT4/FP8 matrices other than the token embedding stay
 * quantized ({@link #weight}): GGUF blocks are copied as they are, FlashJ INT4 and FP8 repacked into the
 * kernels' tile layouts on the host.
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

    /**
     * Bytes on the GPU for a tensor: about its file size for matrices kept quantized (with fp16 activations),
     * else 2 per element for matrices and 4 for vectors.
     */
    static long deviceBytes(Tensor t, CudaStorage storage) {
        if (t.rank() >= 2 && storage == CudaStorage.F16 && QuantFormat.of(t.type()).isPresent()) {
            return t.byteSize();
        }
        return t.numElements() * (t.rank() >= 2 ? 2 : 4);
    }

    Tensor require(String name) {
        return file.weight(name).orElseThrow(() -> FlashjException.badFile(file.path(), name, "weight missing"));
    }

    /**
     * A [rows, cols] weight for matrix products: kept quantized when the kernels read its type and the
     * activations are fp16, else as {@link #matrix}.
     */
    DeviceWeight weight(Tensor t, int rows, int cols) {
        checkShape(t, rows, cols);
        Optional<QuantFormat> format = storage == CudaStorage.F16 ? QuantFormat.of(t.type()) : Optional.empty();
        return format.<DeviceWeight>map(f -> quantized(t, f, rows, cols)).orElseGet(() -> matrix(t, rows, cols));
    }

    private void checkShape(Tensor t, int rows, int cols) {
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw FlashjException.badFile(file.path(), t.name(), "shape " + Arrays.toString(t.shape())
                    + " where [" + rows + ", " + cols + "] was expected");
        }
    }

    private QuantizedMatrix quantized(Tensor t, QuantFormat format, int rows, int cols) {
        long expected = t.type().matrixBytes(rows, cols);
        if (t.data().byteSize() != expected) {
            throw FlashjException.badFile(file.path(), t.name(), t.type() + " data of " + t.data().byteSize()
                    + " bytes where " + expected + " were expected");
        }
        try (Arena arena = Arena.ofConfined()) {
            switch (format) {
                case Q8_0, Q4_0, Q4_K, Q6_K -> {
                    DeviceBuffer data = create(expected, t.name());
                    upload(data, t.data(), arena);
                    return new QuantizedMatrix(format, data, null, rows, cols);
                }
                case INT4_G128, INT4_G32 -> {
                    MemorySegment codes = arena.allocate(Int4TileLayout.codeBytes(rows, cols), 16);
                    MemorySegment params = arena.allocate(Int4TileLayout.paramBytes(t.type(), rows, cols), 16);
                    Int4TileLayout.repack(t.type(), t.data(), rows, cols, codes, params);
                    return uploadTiles(format, t.name(), codes, params, rows, cols);
                }
                case FP8_E4M3 -> {
                    MemorySegment codes = arena.allocate(Fp8TileLayout.codeBytes(rows, cols), 16);
                    MemorySegment scales = arena.allocate(Fp8TileLayout.scaleBytes(rows), 16);
                    Fp8TileLayout.repack(t.data(), rows, cols, codes, scales);
                    return uploadTiles(format, t.name(), codes, scales, rows, cols);
                }
                default -> throw new IllegalStateException("no upload for " + format);
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw FlashjException.badFile(file.path(), t.name(), "cannot repack " + t.type() + ": " + e.getMessage(), e);
        }
    }

    private QuantizedMatrix uploadTiles(QuantFormat format, String name, MemorySegment codes, MemorySegment params, int rows,
                                        int cols) {
        DeviceBuffer data = create(codes.byteSize(), name);
        DeviceBuffer paramBuffer = create(params.byteSize(), name + " (scales)");
        stream.copyToDevice(data, 0, codes);
        stream.copyToDevice(paramBuffer, 0, params);
        stream.synchronize();  // the host segments close with the arena
        return new QuantizedMatrix(format, data, paramBuffer, rows, cols);
    }

    /** Copies host bytes (a mapping or, through a native copy, a heap segment) to the device and waits. */
    private void upload(DeviceBuffer target, MemorySegment source, Arena arena) {
        MemorySegment nativeSource = source;
        if (!source.isNative()) {
            nativeSource = arena.allocate(source.byteSize(), 16);
            nativeSource.copyFrom(source);
        }
        stream.copyToDevice(target, 0, nativeSource);
        stream.synchronize();
    }

    /** A [rows, cols] matrix (checked against the file's shape) in the storage type. */
    DeviceMatrix matrix(Tensor t, int rows, int cols) {
        checkShape(t, rows, cols);
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
