package dev.flashj.opencl;

import dev.flashj.FlashjException;
import dev.flashj.backend.Availability;
import dev.flashj.backend.BackendProvider;
import dev.flashj.backend.DeviceDescription;
import dev.flashj.backend.NativeLibraryProbe;
import dev.flashj.opencl.bind.ClLibrary;
import dev.flashj.opencl.runtime.ClDevice;
import dev.flashj.opencl.runtime.OpenCl;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenClBackendProviderTest {

    @Test
    void registeredWithServiceLoader() {
        assertTrue(ServiceLoader.load(BackendProvider.class).stream()
                .anyMatch(p -> p.type() == OpenClBackendProvider.class));
        assertEquals("opencl", new OpenClBackendProvider().name());
    }

    /** Runs everywhere: the reason names what is missing when OpenCL cannot run. */
    @Test
    void availabilityMatchesWhatIsInstalled() {
        OpenClBackendProvider opencl = new OpenClBackendProvider();
        Availability a = opencl.availability();
        if (!NativeLibraryProbe.isLoadable(ClLibrary.LIBRARY_NAME)) {
            assertEquals(new Availability(false, "libOpenCL.so.1 not found"), a);
            assertTrue(opencl.devices().isEmpty());
            return;
        }
        try (OpenCl cl = OpenCl.open()) {
            if (cl.platforms().isEmpty()) {
                assertEquals(new Availability(false, OpenCl.NO_PLATFORM), a);
                return;
            }
            int devices = cl.devices().size();
            assertEquals(devices > 0, a.available(), a.reason());
            if (devices > 0) {
                assertTrue(a.reason().contains(devices + " device(s)"), a.reason());
            }
        }
    }

    @Test
    void devicesAreListedWithTheirLimits() {
        try (OpenCl cl = OpenClTestSupport.openOrSkip()) {
            List<DeviceDescription> listed = new OpenClBackendProvider().devices();
            List<ClDevice> devices = cl.devices();
            assertEquals(devices.size(), listed.size());
            for (int i = 0; i < devices.size(); i++) {
                ClDevice d = devices.get(i);
                DeviceDescription dd = listed.get(i);
                assertEquals("opencl:" + d.platformIndex() + ":" + d.deviceIndex(), dd.id());
                assertEquals(d.name(), dd.name());
                assertEquals(Long.toString(d.maxWorkGroupSize()), dd.details().get("maxWorkGroupSize"));
                assertEquals(Integer.toString(d.computeUnits()), dd.details().get("computeUnits"));
                assertTrue(d.maxWorkGroupSize() >= 1 && d.localMemSize() > 0 && d.globalMemSize() > 0 && d.maxAllocSize() > 0);
                assertFalse(d.openClCVersion().isEmpty());
                assertTrue(dd.details().get("platform").startsWith(cl.platforms().get(d.platformIndex()).name()));
            }
        }
    }

    @Test
    void selectorPicksFirstGpuElseFirstDeviceAndNamesBadOptions() {
        try (OpenCl cl = OpenClTestSupport.openOrSkip()) {
            ClDevice chosen = OpenClDeviceSelector.firstGpuOrAny().select(cl);
            ClDevice expected = cl.devices().stream().filter(ClDevice::isGpu).findFirst().orElse(cl.devices().getFirst());
            assertEquals(expected.id(), chosen.id());
            assertEquals("opencl:0:0", OpenClDeviceSelector.parse("opencl:0:0").select(cl).id());
            for (String bad : List.of("opencl:7:0", "opencl:0:42")) {
                FlashjException e = assertThrows(FlashjException.class, () -> OpenClDeviceSelector.parse(bad).select(cl));
                assertTrue(e.getMessage().startsWith("--device " + bad + ": "), e.getMessage());
            }
        }
        for (String bad : List.of("opencl:", "opencl:a:0", "opencl:0:-1", "cuda:0", "opencl:0:0:0")) {
            FlashjException e = assertThrows(FlashjException.class, () -> OpenClDeviceSelector.parse(bad));
            assertTrue(e.getMessage().startsWith("--device " + bad + ": "), e.getMessage());
        }
    }
}
