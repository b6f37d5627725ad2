package dev.flashj.format.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Test helper: writes safetensors files (header JSON built with Jackson, padded to 8 bytes). */
public final class SafetensorsWriter {

    /** One tensor to write: raw little-endian bytes of the given dtype. */
    public record Item(String name, String dtype, long[] shape, byte[] data) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {
    }

    /** Writes the items in order, data packed back to back. */
    public static void write(Path file, List<Item> items, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Item item : items) {
            ObjectNode t = header.putObject(item.name());
            t.put("dtype", item.dtype());
            var shape = t.putArray("shape");
            for (long d : item.shape()) {
                shape.add(d);
            }
            var offsets = t.putArray("data_offsets");
            offsets.add(data.size());
            data.write(item.data());
            offsets.add(data.size());
        }
        writeRaw(file, JSON.writeValueAsString(header), data.toByteArray());
    }

    /** Writes a header string as given (padded with spaces to a multiple of 8) and a data section. */
    public static void writeRaw(Path file, String headerJson, byte[] data) throws IOException {
        byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer buf = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) {
            buf.put((byte) ' ');
        }
        buf.put(data);
        Files.write(file, buf.array());
    }

    /** Little-endian float32 bytes. */
    public static byte[] f32(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }
}
