package dev.flashj.format.safetensors;

import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {

    @TempDir
    Path tmp;

    @Test
    void readsRandomTensorsOfEverySupportedDtypeBackExactly() throws IOException {
        Random random = new Random(7);
        List<SafetensorsWriter.Item> items = new ArrayList<>();
        String[] dtypes = {"F32", "F16", "BF16"};
        for (int i = 0; i < 9; i++) {
            String dtype = dtypes[i % 3];
            long[] shape = switch (i % 4) {
                case 0 -> new long[]{1 + random.nextInt(13)};
                case 1 -> new long[]{1 + random.nextInt(7), 1 + random.nextInt(11)};
                case 2 -> new long[]{2, 1 + random.nextInt(5), 3};
                default -> new long[]{};
            };
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            int size = dtype.equals("F32") ? 4 : 2;
            byte[] data = new byte[(int) n * size];
            random.nextBytes(data);
            items.add(new SafetensorsWriter.Item("t" + i + "." + dtype, dtype, shape, data));
        }
        Path file = tmp.resolve("random.safetensors");
        SafetensorsWriter.write(file, items, Map.of("format", "pt", "note", "hand-built"));

        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt", "note", "hand-built"), st.metadata());
            assertEquals(items.stream().map(SafetensorsWriter.Item::name).toList(),
                    st.entries().stream().map(SafetensorsEntry::name).toList());
            for (SafetensorsWriter.Item item : items) {
                Tensor t = st.tensor(item.name());
                assertEquals(TensorType.valueOf(item.dtype()), t.type());
                assertArrayEquals(item.shape(), t.shape());
                assertArrayEquals(item.data(), t.data().toArray(ValueLayout.JAVA_BYTE), item.name());
                assertTrue(t.data().isReadOnly());
            }
        }
    }

    @Test
    void readsTheTinyHfModelHeader() {
        Path file = TestData.require("hf-tiny-llama2-spm/model.safetensors");
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals("pt", st.metadata().get("format"));
            // 4 layers x 9 weights + embeddings, final norm, lm_head
            assertEquals(39, st.entries().size());
            Tensor embed = st.tensor("model.embed_tokens.weight");
            assertArrayEquals(new long[]{1024, 128}, embed.shape());
            assertEquals(TensorType.F32, embed.type());
            Tensor down = st.tensor("model.layers.3.mlp.down_proj.weight");
            assertArrayEquals(new long[]{128, 384}, down.shape());
            // Offsets are relative to the data section: the last tensor ends exactly at the end of the file.
            long maxEnd = st.entries().stream().mapToLong(SafetensorsEntry::end).max().orElseThrow();
            long headerLen = 4128;
            assertEquals(Files.size(file), 8 + headerLen + maxEnd, "layout assumption about the test file");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void unsupportedDtypesAreListedButCannotBeWeights() throws IOException {
        Path file = tmp.resolve("mixed.safetensors");
        SafetensorsWriter.write(file, List.of(
                new SafetensorsWriter.Item("position_ids", "I64", new long[]{1, 3}, new byte[24]),
                new SafetensorsWriter.Item("scale", "F8_E4M3", new long[]{4}, new byte[4]),
                new SafetensorsWriter.Item("packed", "F4", new long[]{4}, new byte[2]),
                new SafetensorsWriter.Item("w", "F32", new long[]{2}, new byte[8])), Map.of());
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(4, st.entries().size());
            assertFalse(SafetensorsFile.isSupported(st.entry("position_ids").orElseThrow()));
            assertEquals(TensorType.F32, st.tensor("w").type());
            for (String name : List.of("position_ids", "scale", "packed")) {
                String dtype = st.entry(name).orElseThrow().dtype();
                FlashjException e = assertThrows(FlashjException.class, () -> st.tensor(name));
                assertMessage(e, file, name, dtype);
            }
            FlashjException missing = assertThrows(FlashjException.class, () -> st.tensor("nope"));
            assertMessage(missing, file, "nope", "not in the file");
        }
    }

    @Test
    void truncatedFiles() throws IOException {
        Path file = tmp.resolve("short.safetensors");
        Files.write(file, new byte[]{1, 2, 3});
        assertMessage(assertThrows(FlashjException.class, () -> SafetensorsFile.open(file)), file, "header length");

        Path cut = tmp.resolve("cut.safetensors");
        SafetensorsWriter.write(cut, List.of(new SafetensorsWriter.Item("w", "F32", new long[]{8}, new byte[32])), Map.of());
        byte[] whole = Files.readAllBytes(cut);
        // Cut inside the data: offsets now run past the end.
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 5));
        assertMessage(assertThrows(FlashjException.class, () -> SafetensorsFile.open(cut)), cut, "'w'", "data_offsets");
        // Cut inside the header: the length no longer fits.
        Files.write(cut, java.util.Arrays.copyOf(whole, 20));
        assertMessage(assertThrows(FlashjException.class, () -> SafetensorsFile.open(cut)), cut, "header length");
    }

    @Test
    void hugeHeaderLengths() throws IOException {
        Path file = tmp.resolve("huge.safetensors");
        for (long length : new long[]{-1L, Long.MAX_VALUE, 1L << 40, 1000}) {
            ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(length);
            Files.write(file, b.array());
            assertMessage(assertThrows(FlashjException.class, () -> SafetensorsFile.open(file)), file, "header length");
        }
        // A length that fits in the (sparse) file but exceeds the 100 MB limit.
        Path big = tmp.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(big.toFile(), "rw")) {
            raf.setLength(SafetensorsFile.MAX_HEADER_BYTES + 64);
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(SafetensorsFile.MAX_HEADER_BYTES + 1).array());
        }
        assertMessage(assertThrows(FlashjException.class, () -> SafetensorsFile.open(big)), big, "header length", "limit");
    }

    @Test
    void malformedHeaders() throws IOException {
        byte[] data = new byte[16];
        String ok = "\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]";
        String[][] cases = {
                {"not json at all", "header"},
                {"{\"w\": {" + ok + "}", "header"},                      // unterminated
                {"[1, 2, 3]", "header"},                                   // not an object
                {"{\"w\": {" + ok + "}} trailing", "header"},
                {"{\"w\": {" + ok + "}, \"w\": {" + ok + "}}", "header"}, // duplicate key
                {"{\"w\": 5}", "'w'"},
                {"{\"w\": {\"shape\":[4],\"data_offsets\":[0,16]}}", "'w'.dtype"},
                {"{\"w\": {\"dtype\":7,\"shape\":[4],\"data_offsets\":[0,16]}}", "'w'.dtype"},
                {"{\"w\": {\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", "'w'.shape"},
                {"{\"w\": {\"dtype\":\"F32\",\"shape\":[4]}}", "'w'.data_offsets"},
                {"{\"w\": {\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", "'w'.shape"},
                {"{\"w\": {\"dtype\":\"F32\",\"shape\":[4.5],\"data_offsets\":[0,16]}}", "'w'.shape"},
                {"{\"w\": {\"dtype\":\"F32\",\"shape\":[\"4\"],\"data_offsets\":[0,16]}}", "'w'.shape"},
                {"{\"w\": {\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,16]}}", "'w'.shape"},
                {"{\"w\": {\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}", "'w'.shape"},
                {"{\"w\": {\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16,32]}}", "'w'.data_offsets"},
                {"{\"w\": {\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,4]}}", "'w'.data_offsets"},
                {"{\"w\": {\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", "'w'.data_offsets"},   // past end
                {"{\"w\": {\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", "'w'.data_offsets"},   // shape mismatch
                {"{\"w\": {\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,16]}}", "'w'.data_offsets"},
                {"{\"w\": {\"dtype\":\"WEIRD\",\"shape\":[4],\"data_offsets\":[0,17]}}", "'w'.data_offsets"},
                {"{\"__metadata__\": {\"format\": 1}}", "__metadata__.format"},
                {"{\"__metadata__\": [1]}", "__metadata__"},
        };
        Path file = tmp.resolve("bad.safetensors");
        for (String[] c : cases) {
            SafetensorsWriter.writeRaw(file, c[0], data);
            FlashjException e = assertThrows(FlashjException.class, () -> SafetensorsFile.open(file).close(), c[0]);
            assertMessage(e, file, c[1]);
        }
    }

    @Test
    void unknownDtypeIsReportedWhenUsed() throws IOException {
        Path file = tmp.resolve("unknown.safetensors");
        SafetensorsWriter.writeRaw(file, "{\"w\": {\"dtype\":\"Q7\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[16]);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertMessage(assertThrows(FlashjException.class, () -> st.tensor("w")), file, "'w'", "Q7", "not supported");
        }
    }

    @Test
    void emptyAndZeroSizedTensorsAreValid() throws IOException {
        Path file = tmp.resolve("empty.safetensors");
        SafetensorsWriter.writeRaw(file, "{\"z\": {\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[0,0]}}", new byte[0]);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(0, st.tensor("z").byteSize());
            assertArrayEquals(new long[]{0, 5}, st.tensor("z").shape());
        }
        SafetensorsWriter.writeRaw(file, "{}", new byte[0]);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertTrue(st.entries().isEmpty());
        }
    }

    @Test
    void closeIsIdempotentAndUnmaps() throws IOException {
        Path file = tmp.resolve("c.safetensors");
        SafetensorsWriter.write(file, List.of(new SafetensorsWriter.Item("w", "F32", new long[]{2},
                SafetensorsWriter.f32(new float[]{1.5f, -2f}))), Map.of());
        SafetensorsFile st = SafetensorsFile.open(file);
        Tensor w = st.tensor("w");
        assertEquals(-2f, w.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4));
        st.close();
        st.close();
        assertThrows(IllegalStateException.class, () -> w.data().get(ValueLayout.JAVA_BYTE, 0));
    }

    static void assertMessage(Throwable e, Path file, String... parts) {
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()), () -> "message should name " + file + ": " + m);
        for (String p : parts) {
            assertTrue(m.contains(p), () -> "message should contain '" + p + "': " + m);
        }
    }
}
