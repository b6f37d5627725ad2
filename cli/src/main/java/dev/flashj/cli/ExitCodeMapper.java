package dev.flashj.cli;

import picocli.CommandLine;

/** FlashJ's exit codes, and which exception leads to which. */
public final class ExitCodeMapper implements CommandLine.IExitCodeExceptionMapper {

    public static final int OK = 0;
    /** The command failed: bad input file, missing device, or a bug. */
    public static final int FAILURE = 1;
    /** The command line itself is wrong. */
    public static final int USAGE = 2;

    @Override
    public int getExitCode(Throwable exception) {
        return exception instanceof CommandLine.ParameterException ? USAGE : FAILURE;
    }
}
