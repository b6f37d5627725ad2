package dev.flashj.cli;

import dev.flashj.cli.bench.BenchCommand;
import dev.flashj.cli.devices.DevicesCommand;
import dev.flashj.cli.inspect.InspectCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * The root {@code flashj} command. Its subcommands do the work; on its own it asks for one.
 * Build it with {@link #newCommandLine()}, which installs FlashJ's error handling and exit codes
 * (a bare {@code new CommandLine(new FlashjCommand())} keeps picocli's default error output).
 */
@Command(name = "flashj",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "A JVM engine for LLaMA-style inference and GPU attention kernels.",
        subcommands = {GenerateCommand.class, ChatCommand.class, InspectCommand.class, DevicesCommand.class,
                BenchCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:failure (bad model file, missing file, unavailable device...)",
                "2:usage error (unknown option or command, missing argument)"})
public final class FlashjCommand implements Callable<Integer> {

    /** The option that turns on stack traces for failures (also: environment variable FLASHJ_DEBUG). */
    public static final String VERBOSE_OPTION = "--verbose";

    @Spec
    private CommandSpec spec;

    @Option(names = VERBOSE_OPTION, scope = ScopeType.INHERIT,
            description = "Print stack traces of failures (same as setting FLASHJ_DEBUG=1).")
    private boolean verbose;

    /** A command line for the root command with FlashJ's exception handlers and exit codes. */
    public static CommandLine newCommandLine() {
        return configure(new CommandLine(new FlashjCommand()));
    }

    /** Installs FlashJ's exception handlers and exit-code mapping on {@code commandLine}. */
    public static CommandLine configure(CommandLine commandLine) {
        return commandLine
                .setExecutionExceptionHandler(new FailureHandler())
                .setParameterExceptionHandler(new UsageErrorHandler())
                .setExitCodeExceptionMapper(new ExitCodeMapper());
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }
}
