package dev.flashj.opencl;

import dev.flashj.FlashjException;
import dev.flashj.backend.Availability;
import dev.flashj.backend.BackendProvider;
import dev.flashj.backend.DeviceDescription;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.ModelFile;
import dev.flashj.opencl.model.OpenClLlamaModel;
import dev.flashj.opencl.ops.ClAttentionOps;
import dev.flashj.opencl.runtime.ClDevice;
import dev.flashj.opencl.runtime.ClPlatform;
import dev.flashj.opencl.runtime.OpenCl;
import dev.flashj.ops.AttentionOps;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The OpenCL backend's entry for {@link java.util.ServiceLoader}: available when the ICD loader
 * loads and at least one platform has a device. Devices are listed as "opencl:P:D".
 */
public final class OpenClBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public Availability availability() {
        try (OpenCl cl = OpenCl.open()) {
            List<ClPlatform> platforms = cl.platforms();
            if (platforms.isEmpty()) {
                return Availability.no(OpenCl.NO_PLATFORM);
            }
            int devices = cl.devices().size();
            if (devices == 0) {
                return Availability.no(platforms.size() + " OpenCL platform(s) ("
                        + String.join(", ", platforms.stream().map(ClPlatform::name).toList()) + ") but no device");
            }
            return Availability.yes(platforms.size() + " platform(s), " + devices + " device(s): "
                    + String.join(", ", platforms.stream().map(p -> p.name() + " " + p.version()).toList()));
        } catch (FlashjException e) {
            return Availability.no(e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            return Availability.no("OpenCL probe failed: " + e);
        }
    }

    @Override
    public List<DeviceDescription> devices() {
        try (OpenCl cl = OpenCl.open()) {
            List<DeviceDescription> result = new ArrayList<>();
            for (ClPlatform p : cl.platforms()) {
                for (ClDevice d : p.devices()) {
                    result.add(new DeviceDescription(d.id(), d.name(), details(p, d)));
                }
            }
            return result;
        } catch (RuntimeException | LinkageError e) {
            return List.of();
        }
    }

    @Override
    public boolean hasGpu() {
        try (OpenCl cl = OpenCl.open()) {
            return cl.devices().stream().anyMatch(ClDevice::isGpu);
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @Override
    public boolean runsModels() {
        return true;
    }

    /**
     * Uploads the weights to the device {@code device} names ("opencl" or "opencl:P:D"); the mapped
     * file is closed once they are on the device, since the OpenCL model never reads it again.
     */
    @Override
    public LanguageModel loadModel(ModelFile file, String device) {
        try (file) {
            return OpenClLlamaModel.load(file, OpenClDeviceSelector.parse(device));
        }
    }

    /** OpenCL attention ops for "opencl" or "opencl:P:D"; throws saying why when that device cannot be opened. */
    @Override
    public Optional<AttentionOps> attentionOps(String device) {
        if (device.equals("opencl") || device.startsWith("opencl:")) {
            return Optional.of(ClAttentionOps.open(device));
        }
        return Optional.empty();
    }

    static Map<String, String> details(ClPlatform p, ClDevice d) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("platform", p.name() + " (" + p.vendor() + ", " + p.version() + ")");
        m.put("type", d.type());
        m.put("vendor", d.vendor());
        m.put("version", d.deviceVersion());
        m.put("driver", d.driverVersion());
        m.put("openclC", d.openClCVersion());
        m.put("computeUnits", Integer.toString(d.computeUnits()));
        m.put("maxWorkGroupSize", Long.toString(d.maxWorkGroupSize()));
        m.put("localMem", (d.localMemSize() >> 10) + " KiB");
        m.put("globalMem", (d.globalMemSize() >> 20) + " MiB");
        m.put("maxAlloc", (d.maxAllocSize() >> 20) + " MiB");
        m.put("fp16", d.hasExtension("cl_khr_fp16") ? "yes" : "no (f16 storage via vload_half)");
        m.put("extensions", d.extensions());
        return m;
    }
}
