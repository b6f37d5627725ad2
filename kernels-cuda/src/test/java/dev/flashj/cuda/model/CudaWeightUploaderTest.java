package dev.flashj.cuda.model;

import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The GPU memory estimate that decides whether a model fits: quantized matrices count at their own size with fp16. */
class CudaWeightUploaderTest {

    private static Tensor tensor(TensorType type, long... shape) {
        long rows = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            rows *= shape[i];
        }
        return new Tensor("t", type, shape, MemorySegment.ofArray(new byte[(int) type.matrixBytes(rows, shape[shape.length - 1])]));
    }

    @Test
    void quantizedMatricesCountAtTheirFileSizeWithFp16Activations() {
        Tensor q4 = tensor(TensorType.Q4_0, 64, 256);
        Tensor int4 = tensor(TensorType.INT4_G32, 64, 256);
        assertEquals(64 * 256 / 32 * 18, CudaWeightUploader.deviceBytes(q4, CudaStorage.F16));
        assertEquals(int4.byteSize(), CudaWeightUploader.deviceBytes(int4, CudaStorage.F16));
        // bf16 models expand them.
        assertEquals(2L * 64 * 256, CudaWeightUploader.deviceBytes(q4, CudaStorage.BF16));
        // Types without kernels are expanded, vectors are fp32.
        assertEquals(2L * 64 * 256, CudaWeightUploader.deviceBytes(tensor(TensorType.Q5_0, 64, 256), CudaStorage.F16));
        assertEquals(4L * 256, CudaWeightUploader.deviceBytes(tensor(TensorType.F32, 256), CudaStorage.F16));
    }
}
