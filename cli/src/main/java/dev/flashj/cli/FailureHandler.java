package dev.flashj.cli;

import dev.flashj.FlashjException;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;

/**
 * Reports an exception thrown while a command ran. A {@link FlashjException} is a failure the user
 * can act on: one line "flashj: MESSAGE" (stack trace only in verbose mode). Anything else is a bug
 * and gets its stack trace.
 */
final class FailureHandler implements CommandLine.IExecutionExceptionHandler {

    static final String DEBUG_ENV = "FLASHJ_DEBUG";

    @Override
    public int handleExecutionException(Exception exception, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        if (exception instanceof FlashjException) {
            err.println("flashj: " + exception.getMessage());
            if (verbose(parseResult)) {
                exception.printStackTrace(err);
            }
        } else {
            err.println("flashj: internal error (please report it): " + exception);
            exception.printStackTrace(err);
        }
        err.flush();
        CommandLine.IExitCodeExceptionMapper mapper = commandLine.getExitCodeExceptionMapper();
        return mapper != null ? mapper.getExitCode(exception) : ExitCodeMapper.FAILURE;
    }

    /** --verbose anywhere on the command line, or FLASHJ_DEBUG set to anything but "" or "0". */
    static boolean verbose(ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption(FlashjCommand.VERBOSE_OPTION)) {
                return true;
            }
        }
        String env = System.getenv(DEBUG_ENV);
        return env != null && !env.isEmpty() && !env.equals("0");
    }
}
