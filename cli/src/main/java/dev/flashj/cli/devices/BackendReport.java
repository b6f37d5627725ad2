package dev.flashj.cli.devices;

import dev.flashj.backend.Availability;
import dev.flashj.backend.BackendProvider;
import dev.flashj.backend.DeviceDescription;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * What {@code flashj devices} shows about one backend.
 *
 * @param name      "cpu", "cuda", "opencl"
 * @param available whether it can run here
 * @param reason    what it runs with, or why it cannot run
 * @param devices   the devices it can use
 */
public record BackendReport(String name, boolean available, String reason, List<DeviceDescription> devices) {

    /** Asks {@code provider}; a provider that breaks its never-throw contract is reported as unavailable. */
    public static BackendReport of(BackendProvider provider) {
        String name = provider.getClass().getName();
        try {
            name = provider.name();
            Availability availability = provider.availability();
            List<DeviceDescription> devices = availability.available() ? List.copyOf(provider.devices()) : List.of();
            return new BackendReport(name, availability.available(), availability.reason(), devices);
        } catch (RuntimeException | LinkageError e) {
            return new BackendReport(name, false, "backend failed to report: " + e, List.of());
        }
    }

    /** Every backend on the class path (META-INF/services), sorted by name. */
    public static List<BackendReport> discover() {
        List<BackendReport> reports = new ArrayList<>();
        var iterator = ServiceLoader.load(BackendProvider.class).iterator();
        while (true) {
            try {
                if (!iterator.hasNext()) {
                    break;
                }
                reports.add(of(iterator.next()));
            } catch (ServiceConfigurationError e) {
                reports.add(new BackendReport("(unloadable provider)", false, e.getMessage(), List.of()));
            }
        }
        reports.sort(Comparator.comparing(BackendReport::name));
        return List.copyOf(reports);
    }
}
