package dev.flashj.cuda;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Files of the kernels-cuda module's sources, for tests that read them: relative to the module when Maven runs the
 * tests, relative to the repository root when {@link GpuTestRunner} runs them on the GPU machine.
 */
public final class ModuleFiles {
    private ModuleFiles() {
    }

    /** {@code relative} (e.g. "src/main/cuda") under the module directory, whichever the working directory is. */
    public static Path resolve(String relative) {
        Path inModule = Path.of(relative);
        return Files.exists(inModule) ? inModule : Path.of("kernels-cuda").resolve(relative);
    }
}
