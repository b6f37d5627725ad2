package dev.flashj.cuda;

import dev.flashj.FlashjException;
import dev.flashj.backend.Availability;
import dev.flashj.backend.BackendProvider;
import dev.flashj.backend.DeviceDescription;
import dev.flashj.cuda.model.CudaLlamaModel;
import dev.flashj.cuda.runtime.Cuda;
import dev.flashj.cuda.runtime.CudaDevice;
import dev.flashj.model.LanguageModel;
import dev.flashj.model.ModelFile;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CUDA backend's entry for {@link java.util.ServiceLoader}: available when this jar holds the
 * nvcc-built kernels, libcuda.so.1 loads, the driver is new enough and a GPU of sm_80 or newer is
 * present. Devices are listed as "cuda:N".
 */
public final class CudaBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Availability availability() {
        CudaKernelImage kernels = CudaKernelImage.fromClassPath();
        try (Cuda cuda = Cuda.open()) {
            return CudaSupport.judge(kernels, cuda.driverVersion(), cuda.devices());
        } catch (FlashjException e) {
            String reason = e.getMessage();
            return Availability.no(kernels.built() ? reason : kernels.reason() + "; " + reason);
        } catch (RuntimeException | LinkageError e) {
            return Availability.no("CUDA probe failed: " + e);
        }
    }

    @Override
    public List<DeviceDescription> devices() {
        try (Cuda cuda = Cuda.open()) {
            return cuda.devices().stream()
                    .map(d -> new DeviceDescription(d.id(), d.name(), details(d, cuda.driverVersion())))
                    .toList();
        } catch (RuntimeException | LinkageError e) {
            return List.of();
        }
    }

    @Override
    public boolean hasGpu() {
        return availability().available();
    }

    @Override
    public boolean runsModels() {
        return true;
    }

    /**
     * Uploads the weights to the GPU {@code device} names ("cuda" or "cuda:N"); the mapped file is closed
     * once they are on the device, since the CUDA model never reads it again.
     */
    @Override
    public LanguageModel loadModel(ModelFile file, String device) {
        try (file) {
            return CudaLlamaModel.load(file, CudaDeviceSelector.parse(device));
        }
    }

    static Map<String, String> details(CudaDevice d, int driverVersion) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("computeCapability", d.computeMajor() + "." + d.computeMinor() + " (" + d.arch() + ")");
        m.put("kernels", CudaKernelImage.codeFor(d.computeMajor(), d.computeMinor()));
        m.put("multiprocessors", Integer.toString(d.multiprocessors()));
        m.put("globalMem", (d.totalMemoryBytes() >> 20) + " MiB");
        m.put("l2Cache", (d.l2CacheBytes() >> 10) + " KiB");
        m.put("sharedMemPerBlock", (d.maxSharedMemoryPerBlock() >> 10) + " KiB (opt-in)");
        m.put("clock", d.clockKhz() / 1000 + " MHz");
        m.put("memoryBandwidth", String.format(java.util.Locale.ROOT, "%.0f GB/s (peak, from clock and bus width)",
                d.peakMemoryGigabytesPerSecond()));
        m.put("driver", "CUDA " + Cuda.formatVersion(driverVersion));
        return m;
    }
}
