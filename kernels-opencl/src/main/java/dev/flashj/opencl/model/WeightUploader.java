package dev.flashj.opencl.model;

import dev.flashj.FlashjException;
import dev.flashj.model.ModelFile;
import dev.flashj.opencl.kernels.DeviceMatrix;
import dev.flashj.opencl.kernels.QuantLayout;
import dev.flashj.opencl.kernels.WeightFormat;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * Copies weights from the mapped model file to device buffers, once, at load. F32 matrices stay
 * f32 and F16 ones stay f16 (both copied straight from the mapping). Q8_0, Q4_0, Q5_0, Q4_K, Q5_K
 * and Q6_K matrices keep their file bytes, re-laid by {@link QuantLayout} and dequantized inside the
 * kernels. BF16 and the other quantized types (Q4_1, Q5_1, Q2_K, Q3_K, Q8_K, FlashJ's INT4 and FP8)
 * are decoded on the host with {@link Dequantizer} and stored as f16, a chunk of rows at a time.
 * Vectors (norms, biases) are always f32.
 */
final class WeightUploader {
    /** Elements decoded per staging chunk (16 MiB of floats). */
    private static final int CHUNK_ELEMENTS = 1 << 22;

    private final ModelFile file;
    private final ClContext context;
    private final ClQueue queue;
    private final List<ClBuffer> created;

    /** @param created every buffer made is added here, so the caller can release them all */
    WeightUploader(ModelFile file, ClContext context, ClQueue queue, List<ClBuffer> created) {
        this.file = file;
        this.context = context;
        this.queue = queue;
        this.created = created;
    }

    /** The device bytes {@link #matrix} will use for the [rows, cols] matrix {@code t}. */
    static long deviceBytes(Tensor t) {
        if (t.rank() != 2) {
            return t.numElements() * (t.type() == TensorType.F32 ? 4 : 2);
        }
        return format(t).deviceBytes((int) t.rows(), (int) t.cols());
    }

    /** How {@code t} is stored on the device: in place when a kernel reads its type, f16 otherwise. */
    static WeightFormat format(Tensor t) {
        return WeightFormat.inPlace(t.type()).orElse(WeightFormat.F16);
    }

    Tensor require(String name) {
        return file.weight(name).orElseThrow(() -> FlashjException.badFile(file.path(), name, "weight missing"));
    }

    /** A [rows, cols] matrix (checked against the file's shape). */
    DeviceMatrix matrix(Tensor t, int rows, int cols) {
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw FlashjException.badFile(file.path(), t.name(), "shape " + Arrays.toString(t.shape())
                    + " where [" + rows + ", " + cols + "] was expected");
        }
        WeightFormat format = format(t);
        ClBuffer buffer = create(format.deviceBytes(rows, cols), t.name());
        if (format.isBlockQuantized()) {
            QuantLayout.upload(queue, format, t.data(), rows, cols, buffer);
        } else if (format.fileType() == t.type()) {
            copyRaw(t.data(), buffer);
        } else {
            decodeToHalves(t, buffer);
        }
        return new DeviceMatrix(buffer, rows, cols, format);
    }

    /** A vector of {@code n} elements as f32. */
    ClBuffer vector(Tensor t, int n) {
        if (t.numElements() != n) {
            throw FlashjException.badFile(file.path(), t.name(), "shape " + Arrays.toString(t.shape())
                    + " where " + n + " elements were expected");
        }
        ClBuffer buffer = create(4L * n, t.name());
        queue.writeFloats(buffer, 0, Dequantizer.toFloats(t));
        return buffer;
    }

    private ClBuffer create(long bytes, String name) {
        ClBuffer b = context.createBuffer(bytes, name);
        created.add(b);
        return b;
    }

    /** Plain bytes: straight from the mapping (native), through a staging copy otherwise. */
    private void copyRaw(MemorySegment data, ClBuffer buffer) {
        if (data.isNative()) {
            queue.write(buffer, 0, data);
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staging = a.allocate(data.byteSize(), 8);
            staging.copyFrom(data);
            queue.write(buffer, 0, staging);
        }
    }

    /** Decodes whole rows (so quantized blocks never split) and stores IEEE halves. */
    private void decodeToHalves(Tensor t, ClBuffer buffer) {
        int cols = (int) t.cols();
        long rows = t.rows();
        int rowsPerChunk = (int) Math.max(1, Math.min(rows, CHUNK_ELEMENTS / Math.max(1, cols)));
        float[] floats = new float[rowsPerChunk * cols];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staging = a.allocate(ValueLayout.JAVA_SHORT, (long) rowsPerChunk * cols);
            for (long row = 0; row < rows; row += rowsPerChunk) {
                int n = (int) Math.min(rowsPerChunk, rows - row) * cols;
                Dequantizer.dequantize(t, row * cols, floats, 0, n);
                for (int i = 0; i < n; i++) {
                    staging.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(floats[i]));
                }
                queue.write(buffer, row * cols * 2, staging.asSlice(0, 2L * n));
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw FlashjException.badFile(file.path(), t.name(), "cannot decode " + t.type() + ": " + e.getMessage(), e);
        }
    }
}
