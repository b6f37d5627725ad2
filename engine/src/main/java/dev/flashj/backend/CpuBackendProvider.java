package dev.flashj.backend;

import dev.flashj.ops.AttentionOps;
import dev.flashj.ops.cpu.CpuAttentionOps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The CPU backend: always available. It uses the Java Vector API when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (the launcher does this).
 */
public final class CpuBackendProvider implements BackendProvider {

    private static final String VECTOR_MODULE = "jdk.incubator.vector";

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Availability availability() {
        return Availability.yes(preferredVectorBits()
                .map(b -> "Java Vector API, " + b + "-bit vectors")
                .orElse("scalar Java (" + VECTOR_MODULE + " not loaded; start the JVM with --add-modules "
                        + VECTOR_MODULE + ")"));
    }

    @Override
    public List<DeviceDescription> devices() {
        Runtime runtime = Runtime.getRuntime();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("cores", Integer.toString(runtime.availableProcessors()));
        details.put("vectorBits", preferredVectorBits().map(String::valueOf).orElse("none"));
        details.put("maxHeap", formatMiB(runtime.maxMemory()));
        details.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        details.put("arch", System.getProperty("os.arch"));
        details.put("java", Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
        return List.of(new DeviceDescription("cpu:0", cpuModelName(), details));
    }

    /** CPU attention ops for "cpu" or "cpu:0", on all cores. */
    @Override
    public Optional<AttentionOps> attentionOps(String device) {
        if (device.equals("cpu") || device.equals("cpu:0")) {
            return Optional.of(new CpuAttentionOps());
        }
        return Optional.empty();
    }

    /** FloatVector.SPECIES_PREFERRED's width, touched only when the incubator module is present. */
    private static Optional<Integer> preferredVectorBits() {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(VectorWidth.preferredBits());
    }

    /** Kept in its own class so FloatVector is only linked when the module is there. */
    private static final class VectorWidth {
        static int preferredBits() {
            return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        }
    }

    /** The processor's marketing name on Linux, otherwise the architecture. */
    private static String cpuModelName() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            try (Stream<String> lines = Files.lines(cpuinfo)) {
                Optional<String> model = lines
                        .filter(l -> l.startsWith("model name") && l.indexOf(':') > 0)
                        .map(l -> l.substring(l.indexOf(':') + 1).trim())
                        .filter(s -> !s.isEmpty())
                        .findFirst();
                if (model.isPresent()) {
                    return model.get();
                }
            } catch (IOException | RuntimeException e) {
                // Unreadable or odd cpuinfo: the architecture name below is good enough for display.
            }
        }
        return "CPU (" + System.getProperty("os.arch") + ")";
    }

    private static String formatMiB(long bytes) {
        return bytes == Long.MAX_VALUE ? "unlimited" : (bytes >> 20) + " MiB";
    }
}
