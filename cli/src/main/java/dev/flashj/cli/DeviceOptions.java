package dev.flashj.cli;

import dev.flashj.FlashjException;
import dev.flashj.api.Device;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Picocli mixin: where to run ({@code --device}, {@code --threads}). */
public final class DeviceOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    private Device device = Device.AUTO;
    private String address = "";
    private int threads;

    @Option(names = "--device", paramLabel = "DEVICE",
            description = "auto, cpu, cuda or cuda:N (GPU N), opencl (first GPU, else first device) or opencl:P:D (platform P,"
                    + " device D; see 'flashj devices'). Default: auto = CUDA, then an OpenCL GPU, then the CPU.")
    void setDevice(String value) {
        try {
            int colon = value.indexOf(':');
            device = Device.parse(colon < 0 ? value : value.substring(0, colon));
            address = colon < 0 ? "" : value.substring(colon + 1);
            if (colon >= 0 && !validAddress(device, address)) {
                throw new FlashjException("'" + value + "': a device address is written cuda:N (one number)"
                        + " or opencl:P:D (two numbers)");
            }
        } catch (FlashjException e) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '--device': " + e.getMessage());
        }
    }

    /** cuda:N (the N-th GPU) or opencl:P:D; other backends take no address. */
    static boolean validAddress(Device device, String address) {
        return switch (device) {
            case CUDA -> address.matches("\\d{1,4}");
            case OPENCL -> address.matches("\\d+:\\d+");
            default -> false;
        };
    }

    @Option(names = "--threads", paramLabel = "N",
            description = "CPU worker threads (default: one per available processor).")
    void setThreads(int value) {
        if (value < 1) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '--threads': must be >= 1, was " + value);
        }
        threads = value;
    }

    public Device device() {
        return device;
    }

    /** "" for the backend's default device, else "N" (cuda) or "P:D" (opencl). */
    public String address() {
        return address;
    }

    /** 0 when not given (all processors). */
    public int threads() {
        return threads;
    }
}
