package dev.flashj.cli.bench;

import dev.flashj.cuda.kernels.CudaStorage;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host-side arithmetic of the CUDA cases, which a machine without a GPU can check. */
class CudaHostLogicTest {

    @Test
    void sixteenBitWorkCountsTwoBytesPerActivation() {
        // gemv 4096 x 4096 f16: the weights, the input vector and the output, 2 bytes each.
        Work gemv = MatMulOp.work(4096, 4096, 1, Dtype.F16, 2);
        assertEquals(2.0 * 4096 * 4096, gemv.flops());
        assertEquals(2.0 * 4096 * 4096 + 2.0 * (4096 + 4096), gemv.bytes());
        // The same on the CPU reads f32 activations.
        assertEquals(2.0 * 4096 * 4096 + 4.0 * (4096 + 4096), MatMulOp.work(4096, 4096, 1, Dtype.F16, 4).bytes());
        // Causal prefill: n(n+1)/2 pairs, 4d FLOPs each per head; q, k, v, out once.
        Work prefill = FlashPrefillOp.work(1, 32, 8, 4096, 128, 2);
        assertEquals(4.0 * 32 * 128 * (4096.0 * 4097 / 2), prefill.flops());
        assertEquals(2.0 * 4096 * 128 * (2 * 32 + 2 * 8), prefill.bytes());
        Work decode = FlashDecodeOp.work(1, 32, 8, 32768, 128, 2);
        assertEquals(4.0 * 32 * 32768 * 128, decode.flops());
        assertEquals(2.0 * 128 * (2.0 * 32768 * 8 + 2 * 32), decode.bytes());
        assertEquals(FlashDecodeOp.work(1, 32, 8, 32768, 128, 4), FlashDecodeOp.work(1, 32, 8, 32768, 128));
    }

    @Test
    void fractionsFollowTheRooflineOfTheMeasuredCeilings() {
        // An H100-like device: 3 TB/s copy, 600 TFLOP/s GEMM; ridge at 200 FLOP/byte.
        Ceilings h100 = new Ceilings(3e12, "copy", 600e12, "gemm");
        Work gemv = MatMulOp.work(4096, 4096, 1, Dtype.F16, 2);
        assertEquals("memory", h100.bound(gemv));
        // 33.6 MB in 14 us is 2.4 TB/s: 80% of the bandwidth ceiling.
        double seconds = gemv.bytes() / 2.4e12;
        assertEquals(0.8, h100.fraction(gemv, seconds), 1e-12);
        Work gemm = MatMulOp.work(8192, 8192, 8192, Dtype.F16, 2);
        assertEquals("compute", h100.bound(gemm));
        assertEquals(0.5, h100.fraction(gemm, gemm.flops() / 300e12), 1e-12);
        Work prefill = FlashPrefillOp.work(1, 32, 8, 4096, 128, 2);
        assertEquals("compute", h100.bound(prefill));
        assertEquals("memory", h100.bound(FlashDecodeOp.work(1, 32, 8, 4096, 128, 2)));
    }

    @Test
    void poisonWordsAreTwoNaNsOfTheStorageType() {
        for (CudaStorage storage : CudaStorage.values()) {
            int word = CudaData.nanPair(storage);
            assertTrue(Float.isNaN(storage.decode((short) word)), storage.name());
            assertTrue(Float.isNaN(storage.decode((short) (word >>> 16))), storage.name());
        }
        assertEquals(8, CudaData.bytes16(3));
        assertEquals(8, CudaData.bytes16(4));
        assertEquals(4, CudaData.bytes16(1));
    }

    @Test
    void dtypesMapToStorageTypesAndTolerances() {
        assertEquals(CudaStorage.F16, CudaData.storage(Dtype.F16));
        assertEquals(CudaStorage.BF16, CudaData.storage(Dtype.BF16));
        assertThrows(IllegalArgumentException.class, () -> CudaData.storage(Dtype.Q8_0));
        assertTrue(CudaData.tolerance(CudaStorage.F16) < CudaData.tolerance(CudaStorage.BF16));
        float[] values = {0.1f, -1.0f / 3, 1e-3f};
        CudaData.round(CudaStorage.BF16, values);
        for (float v : values) {
            assertEquals(v, CudaStorage.BF16.round(v), "rounding twice changes nothing");
            assertEquals(0, Float.floatToRawIntBits(v) & 0xffff, "a bf16 value has no low mantissa bits");
        }
    }
}
