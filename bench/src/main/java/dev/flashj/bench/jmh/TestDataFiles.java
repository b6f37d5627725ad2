package dev.flashj.bench.jmh;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds files of the shared test data for benchmarks that need real vocabularies or models. */
final class TestDataFiles {
    private TestDataFiles() {
    }

    /** {@code relative} under {@code -Dflashj.testdata} (default ../shared/testdata), or an explanation. */
    static Path require(String relative) {
        Path root = Path.of(System.getProperty("flashj.testdata", "../shared/testdata"));
        Path file = root.resolve(relative);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file.toAbsolutePath() + " not found: run from the repository root next to"
                    + " ../shared/testdata, or pass -jvmArgsAppend -Dflashj.testdata=DIR");
        }
        return file;
    }
}
