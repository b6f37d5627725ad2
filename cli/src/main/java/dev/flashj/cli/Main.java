package dev.flashj.cli;

/** The {@code flashj} executable: runs the command line and exits with its exit code. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(FlashjCommand.newCommandLine().execute(args));
    }
}
