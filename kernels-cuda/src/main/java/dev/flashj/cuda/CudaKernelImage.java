package dev.flashj.cuda;

import dev.flashj.FlashjException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Properties;

/**
 * The kernels nvcc built into this jar: {@code dev/flashj/cuda/flashj-kernels.fatbin} and the
 * {@code kernels.properties} that src/build/build-fatbin.sh writes beside it (whether nvcc ran,
 * why not, which architectures, which nvcc).
 *
 * @param built       whether the fatbin is in the jar
 * @param reason      "built without CUDA kernels (...)" when not built, else what it holds
 * @param nvccVersion "13.0" ("none" when nvcc did not run)
 */
public record CudaKernelImage(boolean built, String reason, String archs, String nvccVersion) {

    static final String PROPERTIES = "/dev/flashj/cuda/kernels.properties";
    static final String FATBIN = "/dev/flashj/cuda/flashj-kernels.fatbin";
    /** Oldest GPU the fatbin has code for: sm_80 cubins (and compute_80 PTX for anything newer). */
    public static final int MIN_COMPUTE_CAPABILITY = 80;

    /** What this jar holds; a jar without the properties (a broken build) counts as built without kernels. */
    public static CudaKernelImage fromClassPath() {
        Properties p = new Properties();
        try (InputStream in = CudaKernelImage.class.getResourceAsStream(PROPERTIES)) {
            if (in == null) {
                return new CudaKernelImage(false, "built without CUDA kernels (" + PROPERTIES + " missing from the class path)",
                        "", "none");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + PROPERTIES, e);
        }
        boolean built = "built".equals(p.getProperty("status")) && CudaKernelImage.class.getResource(FATBIN) != null;
        String reason = p.getProperty("reason", "");
        if (!built && !reason.startsWith("built without CUDA kernels")) {
            reason = "built without CUDA kernels (" + FATBIN + " missing)";
        }
        return new CudaKernelImage(built, reason, p.getProperty("archs", ""), p.getProperty("nvcc", "none"));
    }

    /** The fatbin's bytes; empty when the module was built without kernels. */
    public Optional<byte[]> fatbin() {
        if (!built) {
            return Optional.empty();
        }
        try (InputStream in = CudaKernelImage.class.getResourceAsStream(FATBIN)) {
            if (in == null) {
                throw new FlashjException("CUDA kernels: " + FATBIN + " missing from the class path");
            }
            return Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + FATBIN, e);
        }
    }

    /** The driver version (as cuDriverGetVersion reports it, 13000 = 13.0) the kernels need: nvcc's major.minor. */
    public int requiredDriverVersion() {
        String[] parts = nvccVersion.split("\\.");
        try {
            return parts.length >= 2 ? Integer.parseInt(parts[0]) * 1000 + Integer.parseInt(parts[1]) * 10 : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * Which code in the fatbin a GPU of compute capability {@code major.minor} runs: an exact or
     * same-major cubin, the PTX (JIT-compiled by the driver), or none (older than sm_80).
     */
    public static String codeFor(int major, int minor) {
        int cc = major * 10 + minor;
        if (cc < MIN_COMPUTE_CAPABILITY) {
            return "none";
        }
        if (major == 8) {
            return cc >= 89 ? "sm_89 cubin" : cc >= 86 ? "sm_86 cubin" : "sm_80 cubin";
        }
        if (cc == 90) {
            return "sm_90a cubin";
        }
        return "compute_80 PTX (JIT-compiled by the driver)";
    }
}
