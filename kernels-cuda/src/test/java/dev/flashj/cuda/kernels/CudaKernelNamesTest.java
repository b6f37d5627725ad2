package dev.flashj.cuda.kernels;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every kernel name {@link CudaOps} launches exists in the module nvcc built (read from the PTX the build
 * leaves in target/cuda-build), and every kernel built is launched by something: a typo in a name would
 * otherwise only show on a GPU, as CUDA_ERROR_NOT_FOUND.
 */
class CudaKernelNamesTest {

    @Test
    void launchedNamesAreExactlyTheBuiltKernels() throws Exception {
        Path ptx = Path.of("target/cuda-build/kernels.ptx");
        Assumptions.assumeTrue(Files.exists(ptx), "nvcc did not run in this build (no " + ptx + "); skipping");
        Matcher m = Pattern.compile("\\.entry\\s+(\\w+)\\(").matcher(Files.readString(ptx));
        Set<String> built = new java.util.TreeSet<>();
        while (m.find()) {
            built.add(m.group(1));
        }
        List<String> launched = CudaOps.kernelNames();
        assertEquals(built, launched.stream().collect(Collectors.toCollection(java.util.TreeSet::new)));
        assertEquals(launched.size(), built.size(), "a kernel name listed twice");
    }
}
