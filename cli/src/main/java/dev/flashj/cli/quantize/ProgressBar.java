package dev.flashj.cli.quantize;

import dev.flashj.quant.ConversionProgress;

import java.io.PrintWriter;

/** A one-line progress bar on stderr, redrawn with a carriage return after each tensor. */
final class ProgressBar implements ConversionProgress {
    private static final int WIDTH = 30;
    private final PrintWriter err;

    ProgressBar(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void tensorDone(int done, int total, String tensorName) {
        int filled = total == 0 ? WIDTH : WIDTH * done / total;
        String name = tensorName.length() > 40 ? tensorName.substring(0, 37) + "..." : tensorName;
        err.print("\r[" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] " + done + "/" + total + " "
                + String.format("%-40s", name));
        if (done == total) {
            err.println();
        }
        err.flush();
    }
}
