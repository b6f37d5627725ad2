package dev.flashj.cli.devices;

import dev.flashj.backend.DeviceDescription;
import dev.flashj.cli.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code flashj devices}: the compute backends found, whether each can run here, and their devices. */
@Command(name = "devices",
        description = "List the compute backends (CPU, CUDA, OpenCL), whether each can run here, and their devices.")
public final class DevicesCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    private boolean json;

    @Override
    public Integer call() {
        List<BackendReport> backends = BackendReport.discover();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.write(out, Map.of("backends", backends));
        } else {
            writeText(out, backends);
        }
        return 0;
    }

    private static void writeText(PrintWriter out, List<BackendReport> backends) {
        if (backends.isEmpty()) {
            out.println("no backends found (META-INF/services/dev.flashj.backend.BackendProvider is missing from the class path)");
        }
        int nameWidth = backends.stream().mapToInt(b -> b.name().length()).max().orElse(0);
        for (BackendReport b : backends) {
            out.println(String.format("%-" + nameWidth + "s  %-11s  %s", b.name(),
                    b.available() ? "available" : "unavailable", b.reason()).stripTrailing());
            for (DeviceDescription d : b.devices()) {
                out.println("  " + d.id() + "  " + d.name());
                int keyWidth = d.details().keySet().stream().mapToInt(String::length).max().orElse(0);
                d.details().forEach((k, v) -> out.println(
                        ("    " + k + " ".repeat(keyWidth - k.length()) + "  " + v).stripTrailing()));
            }
        }
        out.flush();
    }
}
