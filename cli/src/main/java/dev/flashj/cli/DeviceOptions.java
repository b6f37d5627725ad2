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
    private int threads;

    @Option(names = "--device", paramLabel = "DEVICE",
            description = "auto, cpu, cuda or opencl (default: auto, which is the CPU for now).")
    void setDevice(String value) {
        try {
            device = Device.parse(value);
        } catch (FlashjException e) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '--device': " + e.getMessage());
        }
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

    /** 0 when not given (all processors). */
    public int threads() {
        return threads;
    }
}
