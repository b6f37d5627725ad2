package dev.flashj.cli.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code flashj bench}: the benchmarks, one subcommand each. */
@Command(name = "bench", sortOptions = false,
        description = "Measure speed: end-to-end generation on synthetic or real models.",
        subcommands = {BenchGenerateCommand.class})
public final class BenchCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a benchmark is required (generate)");
    }
}
