package dev.flashj;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared/testdata (system property {@code flashj.testdata}); tests skip when a file is absent. */
public final class TestData {
    private TestData() {
    }

    public static Path root() {
        return Path.of(System.getProperty("flashj.testdata", "../../shared/testdata")).toAbsolutePath().normalize();
    }

    /** The path of a test data file, or a skipped test (with the reason) when it is not there. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p),
                "test data absent: " + p + " (see ../shared/testdata/SOURCES.md); skipping");
        return p;
    }
}
