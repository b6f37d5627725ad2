package dev.flashj.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nvcc step of the build (src/build/build-fatbin.sh) without nvcc or when skipped: the module still
 * builds and kernels.properties says why there are no kernels. (With nvcc, the real build is checked by
 * {@link CudaKernelImageTest}.)
 */
class BuildFatbinScriptTest {
    private static final Path SCRIPT = ModuleFiles.resolve("src/build/build-fatbin.sh");
    private static final Path SOURCES = ModuleFiles.resolve("src/main/cuda");

    private static Properties run(Path dir, String skip, String path) throws IOException, InterruptedException {
        Path resources = dir.resolve("resources");
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString(), SOURCES.toString(), resources.toString(),
                dir.resolve("log/cuda-build.log").toString(), skip).redirectErrorStream(true);
        pb.environment().put("PATH", path);
        Files.createDirectories(dir.resolve("log"));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), output);
        assertFalse(Files.exists(resources.resolve("dev/flashj/cuda/flashj-kernels.fatbin")), output);
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(resources.resolve("dev/flashj/cuda/kernels.properties"))) {
            props.load(in);
        }
        return props;
    }

    @Test
    void skipFlagBuildsWithoutKernels(@TempDir Path dir) throws Exception {
        Properties p = run(dir, "true", System.getenv("PATH"));
        assertEquals("skipped", p.getProperty("status"));
        assertEquals("built without CUDA kernels (-Dflashj.cuda.skip=true)", p.getProperty("reason"));
    }

    @Test
    void missingNvccBuildsWithoutKernels(@TempDir Path dir) throws Exception {
        Path emptyBin = Files.createDirectories(dir.resolve("bin"));
        // Only the tools the script itself needs, none of them nvcc.
        for (String tool : new String[] {"dirname", "mkdir", "rm", "tee", "cat"}) {
            Path real = Path.of("/usr/bin", tool);
            Path target = Files.exists(real) ? real : Path.of("/bin", tool);
            Files.createSymbolicLink(emptyBin.resolve(tool), target);
        }
        Properties p = run(dir, "false", emptyBin.toString());
        assertEquals("skipped", p.getProperty("status"));
        assertEquals("built without CUDA kernels (nvcc was not on the PATH at build time)", p.getProperty("reason"));
        assertTrue(new CudaKernelImage(false, p.getProperty("reason"), "", "none").reason().startsWith("built without"));
    }
}
