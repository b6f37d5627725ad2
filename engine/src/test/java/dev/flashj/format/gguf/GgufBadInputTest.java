package dev.flashj.format.gguf;

import dev.flashj.FlashjException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed GGUF files: each must fail with a FlashjException naming the file, the field and the reason. */
class GgufBadInputTest {
    private static final int F32 = 0;
    private static final int Q8_0 = 8;

    @TempDir
    Path dir;

    private Path file(GgufBytes bytes) {
        return bytes.writeTo(dir.resolve("bad.gguf"));
    }

    /** Opens the file expecting failure; checks the message names the file, the field and contains the reason. */
    private static FlashjException assertRejected(Path file, String field, String reason) {
        FlashjException e = assertThrows(FlashjException.class, () -> GgufFile.open(file).close());
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ": "), "file not named: " + message);
        assertTrue(message.contains(field), "field '" + field + "' not named: " + message);
        assertTrue(message.contains(reason), "reason '" + reason + "' not given: " + message);
        return e;
    }

    /** A valid file: one string key, then {@code tensorInfos} writes the infos, then 32-aligned data. */
    private static GgufBytes file(int tensorCount, Consumer<GgufBytes> tensorInfos, int dataBytes) {
        GgufBytes b = new GgufBytes().header(3, tensorCount, 1).kvString("general.name", "test");
        tensorInfos.accept(b);
        return b.pad(32).zeros(dataBytes);
    }

    @Test
    void validHandMadeFileOpens() {
        Path f = file(file(2, b -> b.tensorInfo("a", new long[]{4}, F32, 0)
                .tensorInfo("b", new long[]{32, 2}, Q8_0, 32), 32 + 68));
        try (GgufFile gguf = GgufFile.open(f)) {
            assertEquals(2, gguf.tensors().size());
            assertEquals("test", gguf.metadata().getString("general.name"));
            assertEquals(68, gguf.tensor("b").orElseThrow().byteSize());
        }
    }

    @Test
    void emptyAndTinyFiles() throws Exception {
        Path empty = Files.write(dir.resolve("empty.gguf"), new byte[0]);
        assertRejected(empty, "magic", "truncated");
        Path three = Files.write(dir.resolve("three.gguf"), "GGU".getBytes());
        assertRejected(three, "magic", "truncated");
    }

    @Test
    void truncatedAtEveryPoint() throws Exception {
        byte[] whole = file(2, b -> b.tensorInfo("a", new long[]{4}, F32, 0)
                .tensorInfo("b", new long[]{32, 2}, Q8_0, 32), 32 + 68).toByteArray();
        Path f = dir.resolve("cut.gguf");
        for (int length = 0; length < whole.length; length++) {
            Files.write(f, Arrays.copyOf(whole, length));
            FlashjException e = assertThrows(FlashjException.class, () -> GgufFile.open(f).close(), "length " + length);
            // "FILE: FIELD: REASON" with a non-empty field
            String rest = e.getMessage().substring((f + ": ").length());
            assertTrue(e.getMessage().startsWith(f + ": ") && rest.indexOf(": ") > 0, e.getMessage());
            assertTrue(rest.contains("truncated") || rest.contains("past the") || rest.contains("cannot fit")
                    || rest.contains("exceeds"), "length " + length + ": " + e.getMessage());
        }
        Files.write(f, whole);
        GgufFile.open(f).close();
    }

    @Test
    void wrongMagic() {
        GgufBytes b = new GgufBytes().u8('G').u8('G').u8('M').u8('L').u32(3).u64(0).u64(0);
        assertRejected(file(b), "magic", "not a GGUF file");
    }

    @Test
    void unsupportedVersions() {
        assertRejected(file(new GgufBytes().header(1, 0, 0)), "version", "unsupported GGUF version 1");
        assertRejected(file(new GgufBytes().header(99, 0, 0)), "version", "unsupported GGUF version 99");
        assertRejected(file(new GgufBytes().header(Integer.reverseBytes(3), 0, 0)), "version", "big-endian");
        try (GgufFile v2 = GgufFile.open(file(new GgufBytes().header(2, 0, 0)))) {
            assertEquals(2, v2.version());
        }
    }

    @Test
    void hugeCounts() {
        assertRejected(file(new GgufBytes().header(3, 1L << 40, 0)), "tensor_count", "cannot fit");
        assertRejected(file(new GgufBytes().header(3, -1L, 0)), "tensor_count", "18446744073709551615");
        assertRejected(file(new GgufBytes().header(3, 0, 1L << 40)), "kv_count", "cannot fit");
    }

    @Test
    void hugeStringLengths() {
        assertRejected(file(new GgufBytes().header(3, 0, 1).u64(1L << 62).zeros(16)),
                "metadata entry 0 key string length", "exceeds");
        assertRejected(file(new GgufBytes().header(3, 0, 1).string("general.name").u32(GgufValueType.STRING.id())
                .u64(1L << 62).zeros(16)), "metadata key 'general.name' string length", "exceeds");
        assertRejected(file(new GgufBytes().header(3, 1, 0).u64(-1L).zeros(64)), "tensor 0 name string length", "exceeds");
    }

    @Test
    void hugeArrayLengths() {
        assertRejected(file(new GgufBytes().header(3, 0, 1).string("tokenizer.ggml.scores")
                        .u32(GgufValueType.ARRAY.id()).u32(GgufValueType.FLOAT32.id()).u64(1L << 61).zeros(64)),
                "metadata key 'tokenizer.ggml.scores' array length", "cannot fit");
        // 10 strings need at least 80 bytes; only 40 follow.
        assertRejected(file(new GgufBytes().header(3, 0, 1).string("tokenizer.ggml.tokens")
                        .u32(GgufValueType.ARRAY.id()).u32(GgufValueType.STRING.id()).u64(10).zeros(40)),
                "metadata key 'tokenizer.ggml.tokens' array length", "cannot fit");
    }

    @Test
    void unknownValueTypes() {
        assertRejected(file(new GgufBytes().header(3, 0, 1).string("k").u32(13).zeros(8)),
                "metadata key 'k' value type", "unknown value type id 13");
        assertRejected(file(new GgufBytes().header(3, 0, 1).string("k").u32(GgufValueType.ARRAY.id()).u32(77).u64(1)),
                "metadata key 'k' array element type", "unknown value type id 77");
    }

    @Test
    void deeplyNestedArrays() {
        GgufBytes b = new GgufBytes().header(3, 0, 1).string("nest").u32(GgufValueType.ARRAY.id());
        for (int i = 0; i < 40; i++) {
            b.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        b.u32(GgufValueType.UINT8.id()).u64(0);
        assertRejected(file(b), "metadata key 'nest'", "nested deeper");
    }

    @Test
    void duplicates() {
        assertRejected(file(new GgufBytes().header(3, 0, 2).kvU32("a", 1).kvU32("a", 2)),
                "metadata key 'a'", "duplicate key");
        assertRejected(file(file(2, b -> b.tensorInfo("t", new long[]{4}, F32, 0)
                .tensorInfo("t", new long[]{4}, F32, 32), 64)), "tensor 1 (t)", "duplicate tensor name");
    }

    @Test
    void unsupportedTensorTypes() {
        assertRejected(file(file(1, b -> b.tensorInfo("blk.0.attn_q.weight", new long[]{256}, 16, 0), 256)),
                "tensor 0 (blk.0.attn_q.weight) type", "unsupported tensor type IQ2_XXS");
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{4}, 999, 0), 32)),
                "tensor 0 (w) type", "unknown type id 999");
    }

    @Test
    void badDimensions() {
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{}, F32, 0), 32)), "tensor 0 (w) n_dims", "n_dims 0");
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{1, 1, 1, 1, 1}, F32, 0), 32)),
                "tensor 0 (w) n_dims", "n_dims 5");
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{4, 0}, F32, 0), 32)),
                "tensor 0 (w) dims", "must be positive");
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{-4}, F32, 0), 32)),
                "tensor 0 (w) dims", "must be positive");
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{1L << 32, 1L << 32}, F32, 0), 32)),
                "tensor 0 (w) dims", "overflows");
        // Elements fit in a long but bytes do not: 2^62 F32 elements.
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{1L << 31, 1L << 31}, F32, 0), 32)),
                "tensor 0 (w) dims", "overflows");
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{31, 2}, Q8_0, 0), 128)),
                "tensor 0 (w) dims", "block size 32");
    }

    @Test
    void badOffsets() {
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{4}, F32, 4), 64)),
                "tensor 0 (w) offset", "not a multiple of the alignment 32");
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{4}, F32, 64), 32)),
                "tensor 0 (w) offset", "past the");
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{16}, F32, 0), 32)),
                "tensor 0 (w) offset", "past the");
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{4}, F32, Long.MAX_VALUE - 31), 32)),
                "tensor 0 (w) offset", "past the");
        assertRejected(file(file(1, b -> b.tensorInfo("w", new long[]{4}, F32, -32), 32)),
                "tensor 0 (w) offset", "offset");
    }

    @Test
    void badAlignment() {
        for (long alignment : new long[]{0, 3, 48, 1L << 31}) {
            assertRejected(file(new GgufBytes().header(3, 0, 1).kvU32("general.alignment", alignment)),
                    "general.alignment", "power of two");
        }
        assertRejected(file(new GgufBytes().header(3, 0, 1).kvString("general.alignment", "32")),
                "general.alignment", "expected an integer");
        // A legal non-default alignment moves the data section.
        GgufBytes b = new GgufBytes().header(3, 1, 1).kvU32("general.alignment", 256)
                .tensorInfo("w", new long[]{4}, F32, 256).pad(256).zeros(512);
        try (GgufFile gguf = GgufFile.open(file(b))) {
            assertEquals(256, gguf.alignment());
            assertEquals(256, gguf.dataOffset());
        }
    }
}
