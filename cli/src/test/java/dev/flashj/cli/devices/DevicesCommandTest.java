package dev.flashj.cli.devices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
        assertTrue(lines.stream().anyMatch(l -> l.matches("cuda\\s+unavailable\\s+CUDA backend not built yet"
                + " \\(kernels land with the CUDA backend issue\\); libcuda\\.so\\.1 (not )?found")), r::toString);
        assertTrue(lines.stream().anyMatch(l -> l.matches("opencl\\s+unavailable\\s+OpenCL backend not built yet"
                + " .*; libOpenCL\\.so\\.1 (not )?found")), r::toString);
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

        for (int i = 1; i < 3; i++) {
            JsonNode gpu = backends.get(i);
            assertFalse(gpu.get("available").asBoolean());
            assertTrue(gpu.get("reason").asText().contains("not built yet"), gpu::toString);
            assertEquals(0, gpu.get("devices").size());
        }
    }
}
