package dev.flashj.format.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Raw little-endian bytes for hand-made (often deliberately malformed) GGUF files. */
final class GgufBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    GgufBytes u8(int v) {
        out.write(v);
        return this;
    }

    GgufBytes u32(long v) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        return this;
    }

    GgufBytes u64(long v) {
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        return this;
    }

    GgufBytes f32(float v) {
        return u32(Float.floatToRawIntBits(v));
    }

    GgufBytes string(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        u64(utf8.length);
        out.writeBytes(utf8);
        return this;
    }

    GgufBytes magic() {
        out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    /** Magic, version, tensor count, kv count. */
    GgufBytes header(int version, long tensorCount, long kvCount) {
        return magic().u32(version).u64(tensorCount).u64(kvCount);
    }

    GgufBytes kvString(String key, String value) {
        return string(key).u32(GgufValueType.STRING.id()).string(value);
    }

    GgufBytes kvU32(String key, long value) {
        return string(key).u32(GgufValueType.UINT32.id()).u32(value);
    }

    /** A tensor info; {@code ggufDims} innermost first, as stored. */
    GgufBytes tensorInfo(String name, long[] ggufDims, int typeId, long offset) {
        string(name).u32(ggufDims.length);
        for (long d : ggufDims) {
            u64(d);
        }
        return u32(typeId).u64(offset);
    }

    GgufBytes pad(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    GgufBytes zeros(int count) {
        out.writeBytes(new byte[count]);
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    Path writeTo(Path file) {
        try {
            return Files.write(file, out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
