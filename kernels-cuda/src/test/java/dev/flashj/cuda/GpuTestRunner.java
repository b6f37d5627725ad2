package dev.flashj.cuda;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

/**
 * Runs every test of {@code dev.flashj.cuda} where there is no Maven (the GPU machine, see
 * scripts/gpu-check.sh): prints each failure with its stack trace and a summary; exits 1 on any failure.
 * Arguments, if any, name the packages or classes (a simple name starting upper-case) to run instead.
 */
public final class GpuTestRunner {
    private GpuTestRunner() {
    }

    public static void main(String[] args) {
        LauncherDiscoveryRequestBuilder builder = LauncherDiscoveryRequestBuilder.request();
        for (String name : args.length > 0 ? args : new String[] {"dev.flashj.cuda"}) {
            String simple = name.substring(name.lastIndexOf('.') + 1);
            builder.selectors(!simple.isEmpty() && Character.isUpperCase(simple.charAt(0)) ? selectClass(name) : selectPackage(name));
        }
        LauncherDiscoveryRequest request = builder.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        TestExecutionSummary result = summary.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        result.printFailuresTo(out, 40);
        result.printTo(out);
        System.exit(result.getTotalFailureCount() == 0 ? 0 : 1);
    }
}
