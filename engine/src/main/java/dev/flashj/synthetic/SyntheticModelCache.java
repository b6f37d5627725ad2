package dev.flashj.synthetic;

import dev.flashj.FlashjException;
import dev.flashj.cpu.CpuThreads;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * A directory of synthetic model files keyed by shape, weight type and seed, so that repeated
 * benchmarks do not rewrite gigabytes. A file is written under a temporary name and renamed into
 * place, so a name in the cache always holds a complete file (an interrupted write leaves only a
 * {@code .tmp} file behind).
 */
public final class SyntheticModelCache {
    /** Bump when the writer's output changes, so stale files are not reused (2: llama.cpp's Q8_0 rounding, new types). */
    static final int FORMAT_VERSION = 2;

    private final Path directory;

    public SyntheticModelCache(Path directory) {
        this.directory = directory;
    }

    /** {@code ${java.io.tmpdir}/flashj-synthetic}. */
    public static Path defaultDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"), "flashj-synthetic");
    }

    public Path directory() {
        return directory;
    }

    /**
     * "tinyllama-1.1b-22L-q8_0-seed42-1a2b3c4d.gguf": readable parts, plus a checksum of every field of
     * the shape and the format version so that two shapes sharing a name never share a file.
     */
    public static String fileName(SyntheticShape shape, SyntheticWeightType type, long seed) {
        CRC32 crc = new CRC32();
        crc.update((shape + "|" + FORMAT_VERSION).getBytes(StandardCharsets.UTF_8));
        return String.format(Locale.ROOT, "%s-%dL-%s-seed%d-%08x.gguf", shape.name(), shape.layers(), type.cliName(),
                seed, crc.getValue());
    }

    /** The cached file's path, whether or not it exists yet. */
    public Path path(SyntheticShape shape, SyntheticWeightType type, long seed) {
        return directory.resolve(fileName(shape, type, seed));
    }

    public boolean contains(SyntheticShape shape, SyntheticWeightType type, long seed) {
        return Files.isRegularFile(path(shape, type, seed));
    }

    /** The cached file, written first (on {@code threads}, reporting to {@code progress}) when absent. */
    public Path getOrWrite(SyntheticShape shape, SyntheticWeightType type, long seed, CpuThreads threads,
                           SyntheticModelWriter.Progress progress) {
        Path target = path(shape, type, seed);
        if (Files.isRegularFile(target)) {
            return target;
        }
        Path temporary;
        try {
            Files.createDirectories(directory);
            temporary = Files.createTempFile(directory, target.getFileName().toString(), ".tmp");
        } catch (IOException e) {
            throw new FlashjException(directory + ": cannot create the synthetic model cache: " + e.getMessage(), e);
        }
        try {
            new SyntheticModelWriter(shape, type, seed).write(temporary, threads, progress);
            makeReadableByAll(temporary);
            moveIntoPlace(temporary, target);
            return target;
        } finally {
            deleteQuietly(temporary);
        }
    }

    private static void moveIntoPlace(Path temporary, Path target) {
        try {
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new FlashjException(target + ": cannot move the written model into place: " + e.getMessage(), e);
        }
    }

    /** Temporary files are private (0600); a cached model may be shared, like the directory it sits in. */
    private static void makeReadableByAll(Path path) {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException | IOException ignored) {
            // Not a POSIX file system, or not allowed: the file stays readable by its owner, which suffices.
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // A leftover .tmp file is harmless: names in the cache never point at it.
        }
    }
}
