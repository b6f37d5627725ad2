package dev.flashj.format.llama2c;

import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.format.hf.StubTokenizer;
import dev.flashj.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
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
 * Random corruptions of stories260K.bin's header and random truncations: each must open or fail with
 * a {@link FlashjException}, never anything else (replay with {@code -Dflashj.mutation.seed=N}).
 */
class Llama2cMutationTest {

    private static final long SEED = Long.getLong("flashj.mutation.seed", 20250611L);
    private static final byte[] SPECIAL = {0, 1, 2, 3, 4, 8, 0x40, 0x7f, (byte) 0x80, (byte) 0xff};

    @TempDir
    Path tmp;

    @Test
    void corruptedHeadersAndTruncationsOnlyEverRaiseFlashjException() throws IOException {
        byte[] original = Files.readAllBytes(TestData.require("stories260K.bin"));
        Path file = tmp.resolve("m.bin");
        Files.write(file, original);
        List<String> failures = new ArrayList<>();
        int rejected = 0;
        for (int k = 0; k < 2000; k++) {
            Random r = new Random(SEED * 1_000_033L + k);
            boolean truncate = k % 10 == 9;
            String what;
            if (truncate) {
                int length = r.nextInt(original.length);
                Files.write(file, Arrays.copyOf(original, length));
                what = "truncated to " + length;
            } else {
                byte[] header = Arrays.copyOf(original, Llama2cHeader.BYTES);
                StringBuilder sb = new StringBuilder("bytes");
                for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
                    int at = r.nextInt(header.length);
                    byte value = r.nextBoolean() ? SPECIAL[r.nextInt(SPECIAL.length)] : (byte) r.nextInt(256);
                    sb.append(' ').append(at).append("->").append(value & 0xff);
                    header[at] = value;
                }
                what = sb.toString();
                writeAt(file, header);
            }
            try (Llama2cModelFile model = Llama2cModelFile.open(file, c -> new StubTokenizer(c.vocabSize()))) {
                for (Tensor t : model.tensors()) {
                    t.data().get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
                }
            } catch (FlashjException e) {
                rejected++;
            } catch (Throwable t) {
                failures.add("seed " + SEED + " case " + k + " (" + what + "): " + t);
            }
            if (truncate) {
                Files.write(file, original);
            } else {
                writeAt(file, Arrays.copyOf(original, Llama2cHeader.BYTES));
            }
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " cases threw something else:\n" + String.join("\n", failures));
        assertTrue(rejected > 100, "most corruptions should be rejected, only " + rejected + " were");
    }

    private static void writeAt(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), 0);
        }
    }
}
