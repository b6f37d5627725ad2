package dev.flashj.cli.devices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.backend.NativeLibraryProbe;
import dev.flashj.cli.CliRun;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DevicesCommandTest {

    @Test
    void textListsEveryBackend() {
        CliRun r = CliRun.flashj("devices");
        assertEquals(0, r.exitCode(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.matches("cpu\\s+available\\s+Java Vector API, \\d+-bit vectors")),
                r::toString);
        assertTrue(lines.stream().anyMatch(l -> l.matches("  cpu:0  .+")), r::toString);
        assertTrue(lines.stream().anyMatch(l -> l.matches(
                "    cores\\s+" + Runtime.getRuntime().availableProcessors())), r::toString);
        // CUDA says why it cannot run (no driver, driver too old, no kernels for the GPU, built without nvcc).
        assertTrue(lines.stream().anyMatch(l -> l.matches("cuda\\s+available\\s+driver .+")
                || l.matches("cuda\\s+unavailable\\s+.+")), r::toString);
        if (!NativeLibraryProbe.isLoadable("libcuda.so.1")) {
            assertTrue(lines.stream().anyMatch(l -> l.matches("cuda\\s+unavailable\\s+.*libcuda\\.so\\.1 not found.*")), r::toString);
        }
        // OpenCL is available wherever an ICD (e.g. PoCL) is installed; otherwise it says what is missing.
        assertTrue(lines.stream().anyMatch(l -> l.matches("opencl\\s+available\\s+\\d+ platform\\(s\\), \\d+ device\\(s\\): .+")
                || l.matches("opencl\\s+unavailable\\s+.+")), r::toString);
        assertEquals("", r.err());
    }

    @Test
    void jsonParsesBack() throws Exception {
        CliRun r = CliRun.flashj("devices", "--json");
        assertEquals(0, r.exitCode(), r::toString);
        JsonNode backends = new ObjectMapper().readTree(r.out()).get("backends");
        List<String> names = new ArrayList<>();
        backends.forEach(b -> names.add(b.get("name").asText()));
        assertEquals(List.of("cpu", "cuda", "opencl"), names);

        JsonNode cpu = backends.get(0);
        assertTrue(cpu.get("available").asBoolean());
        JsonNode device = cpu.get("devices").get(0);
        assertEquals("cpu:0", device.get("id").asText());
        assertEquals(Runtime.getRuntime().availableProcessors(), device.get("details").get("cores").asInt());
        assertEquals(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(),
                device.get("details").get("vectorBits").asInt());

        JsonNode cuda = backends.get(1);
        if (cuda.get("available").asBoolean()) {
            cuda.get("devices").forEach(d -> assertTrue(d.get("id").asText().matches("cuda:\\d+"), d::toString));
        } else {
            assertFalse(cuda.get("reason").asText().isEmpty(), cuda::toString);
        }
        if (!NativeLibraryProbe.isLoadable("libcuda.so.1")) {
            assertEquals(0, cuda.get("devices").size());
        }

        JsonNode opencl = backends.get(2);
        if (opencl.get("available").asBoolean()) {
            assertTrue(opencl.get("devices").size() > 0, opencl::toString);
            opencl.get("devices").forEach(d -> assertTrue(d.get("id").asText().matches("opencl:\\d+:\\d+"), d::toString));
        } else {
            assertFalse(opencl.get("reason").asText().isEmpty(), opencl::toString);
            assertEquals(0, opencl.get("devices").size());
        }
    }
}
