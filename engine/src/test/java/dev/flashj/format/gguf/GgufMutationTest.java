package dev.flashj.format.gguf;

import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.model.LlamaConfig;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random corruption of real and writer-made GGUF files: byte flips in the header, metadata and tensor
 * infos, and truncations. Opening (and using) each corrupted file must either work or fail with a
 * {@link FlashjException}; anything else fails the test with the seed and case to replay it
 * ({@code -Dflashj.fuzzSeed=...}).
 */
class GgufMutationTest {
    private static final long SEED = Long.getLong("flashj.fuzzSeed", 0x6767_7566L);
    private static final int FLIPS_PER_FILE = 1000;
    private static final int TRUNCATIONS_PER_FILE = 500;

    @TempDir
    Path dir;

    @Test
    void corruptedStories260K() throws IOException {
        Path source = TestData.require("stories260K.gguf");
        fuzz(Files.readAllBytes(source), SEED);
    }

    @Test
    void corruptedWriterMadeFile() throws IOException {
        Path tiny = dir.resolve("tiny-source.gguf");
        TinyModelGguf model = new TinyModelGguf();
        model.attentionBias = true;
        model.write(tiny);
        fuzz(Files.readAllBytes(tiny), SEED + 1);
    }

    private void fuzz(byte[] original, long seed) throws IOException {
        Path target = dir.resolve("mutant.gguf");
        Files.write(target, original);
        long headerEnd;
        long infoStart;
        try (GgufFile gguf = GgufFile.open(target)) {
            headerEnd = gguf.dataOffset();
            long infoBytes = 0;
            for (Tensor t : gguf.tensors()) {
                infoBytes += 8 + t.name().getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 4 + 8L * t.rank() + 4 + 8;
            }
            infoStart = Math.max(0, headerEnd - gguf.alignment() - infoBytes);
        }
        Random random = new Random(seed);
        int successes = 0;
        // Flips: the whole file stays, a few bytes change and are restored afterwards.
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.WRITE)) {
            for (int c = 0; c < FLIPS_PER_FILE; c++) {
                int caseNumber = c;
                int count = 1 + random.nextInt(4);
                long[] positions = new long[count];
                byte[] values = new byte[count];
                for (int i = 0; i < count; i++) {
                    // Half the flips hit the fixed header and tensor infos, where every byte is structural.
                    positions[i] = switch (random.nextInt(4)) {
                        case 0 -> random.nextInt(24);
                        case 1 -> infoStart + (long) (random.nextDouble() * (headerEnd - infoStart));
                        default -> (long) (random.nextDouble() * headerEnd);
                    };
                    values[i] = switch (random.nextInt(4)) {
                        case 0 -> (byte) 0xFF;
                        case 1 -> 0;
                        case 2 -> (byte) (original[(int) positions[i]] ^ (1 << random.nextInt(8)));
                        default -> (byte) random.nextInt(256);
                    };
                }
                for (int i = 0; i < count; i++) {
                    channel.write(ByteBuffer.wrap(new byte[]{values[i]}), positions[i]);
                }
                successes += attempt(target, () -> "seed " + seed + " flip case " + caseNumber + ": bytes at "
                        + Arrays.toString(positions) + " set to " + Arrays.toString(values));
                for (int i = 0; i < count; i++) {
                    channel.write(ByteBuffer.wrap(new byte[]{original[(int) positions[i]]}), positions[i]);
                }
            }
        }
        // Truncations: mostly inside the header, some anywhere.
        Path cut = dir.resolve("cut.gguf");
        for (int c = 0; c < TRUNCATIONS_PER_FILE; c++) {
            int length = random.nextInt(3) < 2
                    ? random.nextInt((int) Math.min(original.length, headerEnd + 64))
                    : random.nextInt(original.length);
            try (FileChannel out = FileChannel.open(cut, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                out.write(ByteBuffer.wrap(original, 0, length));
            }
            int len = length;
            successes += attempt(cut, () -> "seed " + seed + " truncation case " + len + " bytes of " + original.length);
        }
        // Most corruptions must be caught; some (a changed letter in a string) are harmless.
        assertTrue(successes < FLIPS_PER_FILE + TRUNCATIONS_PER_FILE, "no corruption was detected");
    }

    /** Opens and uses the file; returns 1 on success, 0 on a FlashjException, fails on anything else. */
    private static int attempt(Path file, java.util.function.Supplier<String> description) {
        try (GgufFile gguf = GgufFile.open(file)) {
            for (Tensor t : gguf.tensors()) {
                int n = (int) Math.min(t.numElements(), t.type().blockSize() * 2L);
                n -= n % t.type().blockSize();
                Dequantizer.dequantize(t, 0, new float[n], 0, n);
            }
            try {
                LlamaConfig config = GgufModelConfig.read(gguf, GgufModelConfig.architecture(gguf));
                GgufWeightCheck.check(gguf, config);
            } catch (FlashjException expected) {
                // a bad model config in a well-formed file
            }
            return 1;
        } catch (FlashjException expected) {
            return 0;
        } catch (Throwable t) {
            fail(description.get() + ": " + t, t);
            return 0;
        }
    }
}
