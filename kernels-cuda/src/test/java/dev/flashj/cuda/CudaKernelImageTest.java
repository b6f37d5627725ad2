package dev.flashj.cuda;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaKernelImageTest {
    /** The first word of every fatbin container (fatbinary's magic number). */
    private static final int FATBIN_MAGIC = 0xBA55ED50;

    @Test
    void fatbinIsInTheJarExactlyWhenNvccRan() {
        CudaKernelImage image = CudaKernelImage.fromClassPath();
        boolean nvccOnPath = System.getenv("PATH") != null && java.util.Arrays.stream(System.getenv("PATH").split(":"))
                .anyMatch(dir -> java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, "nvcc")));
        boolean skipped = Boolean.getBoolean("flashj.cuda.skip");
        if (!image.built()) {
            assertTrue(image.reason().startsWith("built without CUDA kernels ("), image.reason());
            assertTrue(image.fatbin().isEmpty());
            assertTrue(!nvccOnPath || skipped || image.reason().contains("skip"), "nvcc is on the PATH but no kernels: " + image);
            return;
        }
        byte[] fatbin = image.fatbin().orElseThrow();
        assertTrue(fatbin.length > 1024, "fatbin of " + fatbin.length + " bytes");
        assertEquals(FATBIN_MAGIC, ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
        assertEquals("sm_80,sm_86,sm_89,sm_90a,compute_80", image.archs());
        assertTrue(image.nvccVersion().matches("\\d+\\.\\d+"), image.nvccVersion());
        assertTrue(image.requiredDriverVersion() >= 12000, image.toString());
    }

    @Test
    void requiredDriverFollowsNvcc() {
        assertEquals(13000, new CudaKernelImage(true, "", "", "13.0").requiredDriverVersion());
        assertEquals(12060, new CudaKernelImage(true, "", "", "12.6").requiredDriverVersion());
        assertEquals(0, new CudaKernelImage(false, "", "", "none").requiredDriverVersion());
    }

    @Test
    void eachGpuGenerationGetsItsCode() {
        assertEquals("none", CudaKernelImage.codeFor(7, 5));
        assertEquals("sm_80 cubin", CudaKernelImage.codeFor(8, 0));
        assertEquals("sm_86 cubin", CudaKernelImage.codeFor(8, 6));
        assertEquals("sm_86 cubin", CudaKernelImage.codeFor(8, 7));
        assertEquals("sm_89 cubin", CudaKernelImage.codeFor(8, 9));
        assertEquals("sm_90a cubin", CudaKernelImage.codeFor(9, 0));
        assertTrue(CudaKernelImage.codeFor(12, 0).startsWith("compute_80 PTX"));
        assertFalse(CudaKernelImage.codeFor(10, 0).equals("none"));
    }
}
