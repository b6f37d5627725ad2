package dev.flashj.backend;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuBackendProviderTest {

    @Test
    void registeredAsAService() {
        List<String> names = ServiceLoader.load(BackendProvider.class).stream()
                .map(p -> p.get().name()).toList();
        assertTrue(names.contains("cpu"), names::toString);
    }

    @Test
    void alwaysAvailableWithOneDescribedDevice() {
        CpuBackendProvider cpu = new CpuBackendProvider();
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        Availability a = cpu.availability();
        assertTrue(a.available());
        assertEquals("Java Vector API, " + bits + "-bit vectors", a.reason());

        List<DeviceDescription> devices = cpu.devices();
        assertEquals(1, devices.size());
        DeviceDescription d = devices.getFirst();
        assertEquals("cpu:0", d.id());
        assertFalse(d.name().isBlank());
        assertEquals(Integer.toString(Runtime.getRuntime().availableProcessors()), d.details().get("cores"));
        assertEquals(Integer.toString(bits), d.details().get("vectorBits"));
        assertEquals(System.getProperty("os.arch"), d.details().get("arch"));
        assertTrue(d.details().get("maxHeap").endsWith(" MiB"), d.details()::toString);
    }
}
