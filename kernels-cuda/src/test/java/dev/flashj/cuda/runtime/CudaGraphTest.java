package dev.flashj.cuda.runtime;

import dev.flashj.cuda.GpuKernelTest;
import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.cuda.kernels.CudaStorage;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CudaGraph}: a recorded copy from pinned memory reads that memory at each replay (how the decode step gets
 * its position), and a capture that fails part-way leaves the stream out of capture mode and usable. Skips
 * without a GPU.
 */
class CudaGraphTest extends GpuKernelTest {
    @Test
    void replaysReadThePinnedInputsOfTheirTime() {
        int width = 9;
        int rows = 5;
        CudaStream stream = gpu.stream;
        CudaOps ops = gpu.ops(CudaStorage.F16);
        float[] row = {1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, -9};
        DeviceBuffer step = gpu.halves(CudaStorage.F16, row, "key and value row");
        DeviceBuffer keys = gpu.poisonedHalves(CudaStorage.F16, rows * width, "key cache");
        DeviceBuffer values = gpu.poisonedHalves(CudaStorage.F16, rows * width, "value cache");
        DeviceBuffer position = gpu.allocate(4, "position");
        try (PinnedBuffer hostPosition = gpu.context.allocatePinned(4, "position (host)")) {
            MemorySegment host = hostPosition.segment();
            Runnable work = () -> {
                stream.copyToDevice(position, 0, host);
                ops.kvAppendAt(step, 0, step, 2L * width, keys, values, width, position, 0);
            };
            // Run once directly first, as the session does, so the kernel is loaded before the capture.
            host.set(ValueLayout.JAVA_INT, 0, 0);
            work.run();
            stream.synchronize();
            host.set(ValueLayout.JAVA_INT, 0, 3);
            try (CudaGraph graph = CudaGraph.capture(stream, "append test", work)) {
                // Capture ran nothing: row 3 is still poisoned.
                assertTrue(Float.isNaN(gpu.readHalves(CudaStorage.F16, keys, 4 * width)[3 * width]), "capture must not execute");
                for (int p : new int[] {3, 1, 4}) {
                    host.set(ValueLayout.JAVA_INT, 0, p);
                    graph.launch(stream);
                    stream.synchronize();
                }
            }
        }
        float[] k = gpu.readHalves(CudaStorage.F16, keys, rows * width);
        float[] v = gpu.readHalves(CudaStorage.F16, values, rows * width);
        for (int r = 0; r < rows; r++) {
            boolean written = r != 2;  // 0 directly, then 3, 1 and 4 replayed
            for (int i = 0; i < width; i++) {
                if (written) {
                    assertEquals(row[i], k[r * width + i], "key row " + r);
                    assertEquals(row[width + i], v[r * width + i], "value row " + r);
                } else {
                    assertTrue(Float.isNaN(k[r * width + i]) && Float.isNaN(v[r * width + i]), "row " + r + " was not replayed");
                }
            }
        }
    }

    @Test
    void aFailedCaptureLeavesTheStreamUsable() {
        CudaStream stream = gpu.stream;
        DeviceBuffer out = gpu.poisonedFloats(4, "out");
        IllegalStateException thrown = new IllegalStateException("work failed half-way");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CudaGraph.capture(stream, "failing work", () -> {
            stream.fill32(out, 0, 7, 4);
            throw thrown;
        }));
        assertSame(thrown, e);
        // Synchronising a capturing stream is refused by the driver; the capture ends, invalidated.
        CudaException refused = assertThrows(CudaException.class, () -> CudaGraph.capture(stream, "synchronising work",
                stream::synchronize));
        assertTrue(refused.getMessage().contains("cuStreamSynchronize"), refused.getMessage());
        stream.fill32(out, 0, 42, 4);
        assertEquals(42, stream.readInts(out, 0, 4)[3], "the stream runs work again");
    }
}
