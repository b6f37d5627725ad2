package dev.flashj.format.hf;

import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random corruptions of a real checkpoint: every one must either open cleanly or fail with a
 * {@link FlashjException}; anything else is a reader bug, reported with its seed and case number
 * (set {@code -Dflashj.mutation.seed=N} to replay a seed).
 */
class HfMutationTest {

    private static final long SEED = Long.getLong("flashj.mutation.seed", 20250611L);
    private static final byte[] JSON_BYTES = "{}[]\",:0123456789-.eE \\tfnul".getBytes();

    @TempDir
    Path tmp;

    @Test
    void corruptedSafetensorsHeadersOnlyEverRaiseFlashjException() throws IOException {
        Path source = TestData.require("derived/stories260K-hf");
        Path dir = Files.createDirectories(tmp.resolve("m"));
        Files.copy(source.resolve("config.json"), dir.resolve("config.json"));
        Path weights = dir.resolve("model.safetensors");
        byte[] original = Files.readAllBytes(source.resolve("model.safetensors"));
        Files.write(weights, original);
        int headerEnd = 8 + (int) ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong();

        List<String> failures = new ArrayList<>();
        int rejected = 0;
        for (int k = 0; k < 2000; k++) {
            Random r = new Random(SEED * 1_000_003L + k);
            boolean truncate = k % 10 == 9;
            String what;
            if (truncate) {
                int length = r.nextInt(original.length);
                Files.write(weights, Arrays.copyOf(original, length));
                what = "truncated to " + length;
            } else {
                byte[] header = Arrays.copyOf(original, headerEnd);
                what = flip(r, header, r.nextInt(8) == 0 ? 0 : 8);
                writeAt(weights, header);
            }
            rejected += tryOpen(dir, k, what, failures);
            if (truncate) {
                Files.write(weights, original);
            } else {
                writeAt(weights, Arrays.copyOf(original, headerEnd));
            }
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " cases threw something else:\n" + String.join("\n", failures));
        assertTrue(rejected > 100, "most corruptions should be rejected, only " + rejected + " were");
    }

    @Test
    void corruptedConfigJsonOnlyEverRaisesFlashjException() throws IOException {
        Path source = TestData.require("derived/stories260K-hf");
        Path dir = Files.createDirectories(tmp.resolve("c"));
        Files.copy(source.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        byte[] original = Files.readAllBytes(source.resolve("config.json"));
        List<String> failures = new ArrayList<>();
        for (int k = 0; k < 500; k++) {
            Random r = new Random(SEED * 7_000_003L + k);
            byte[] config = original.clone();
            String what = flip(r, config, 0);
            if (k % 10 == 9) {
                config = Arrays.copyOf(config, r.nextInt(config.length));
                what = "truncated to " + config.length;
            }
            Files.write(dir.resolve("config.json"), config);
            tryOpen(dir, k, what, failures);
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " cases threw something else:\n" + String.join("\n", failures));
    }

    /** Changes 1 to 4 bytes at or after {@code from}; returns a description. */
    private static String flip(Random r, byte[] bytes, int from) {
        StringBuilder what = new StringBuilder("bytes");
        int flips = 1 + r.nextInt(4);
        for (int i = 0; i < flips; i++) {
            int at = from + r.nextInt(bytes.length - from);
            byte value = r.nextBoolean() ? JSON_BYTES[r.nextInt(JSON_BYTES.length)] : (byte) r.nextInt(256);
            what.append(' ').append(at).append("->").append(value & 0xff);
            bytes[at] = value;
        }
        return what.toString();
    }

    private static void writeAt(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), 0);
        }
    }

    /** 1 when the corruption was rejected, 0 when the model opened; records any other outcome. */
    private static int tryOpen(Path dir, int k, String what, List<String> failures) {
        try (HfModelFile model = HfModelFile.open(dir, c -> new StubTokenizer(c.vocabSize()))) {
            for (Tensor t : model.tensors()) {
                if (t.byteSize() > 0) {
                    t.data().get(ValueLayout.JAVA_BYTE, 0);
                    t.data().get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
                }
            }
            return 0;
        } catch (FlashjException e) {
            return 1;
        } catch (Throwable t) {
            failures.add("seed " + SEED + " case " + k + " (" + what + "): " + t);
            return 0;
        }
    }
}
