package dev.flashj.format.gguf;

import dev.flashj.FlashjException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * A bounds-checked little-endian reader over a mapped GGUF file. Every read checks the bytes left
 * first and fails with a {@link FlashjException} naming the file and the field being read; field
 * names are built lazily (a {@link Supplier}) so that big vocabularies cost no string building.
 */
final class GgufCursor {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment segment;
    private final long size;
    private long position;

    GgufCursor(Path file, MemorySegment segment) {
        this.file = file;
        this.segment = segment;
        this.size = segment.byteSize();
    }

    Path file() {
        return file;
    }

    long position() {
        return position;
    }

    long size() {
        return size;
    }

    long remaining() {
        return size - position;
    }

    FlashjException error(Supplier<String> field, String reason) {
        return FlashjException.badFile(file, field.get(), reason);
    }

    /** Fails unless {@code count} more bytes can be read. */
    void require(long count, Supplier<String> field) {
        if (count < 0 || count > remaining()) {
            throw error(field, "truncated: needs " + Long.toUnsignedString(count) + " bytes at offset " + position
                    + ", only " + remaining() + " left in the file");
        }
    }

    byte i8(Supplier<String> field) {
        require(1, field);
        byte v = segment.get(ValueLayout.JAVA_BYTE, position);
        position += 1;
        return v;
    }

    short i16(Supplier<String> field) {
        require(2, field);
        short v = segment.get(I16, position);
        position += 2;
        return v;
    }

    int i32(Supplier<String> field) {
        require(4, field);
        int v = segment.get(I32, position);
        position += 4;
        return v;
    }

    long i64(Supplier<String> field) {
        require(8, field);
        long v = segment.get(I64, position);
        position += 8;
        return v;
    }

    float f32(Supplier<String> field) {
        return Float.intBitsToFloat(i32(field));
    }

    double f64(Supplier<String> field) {
        return Double.longBitsToDouble(i64(field));
    }

    /**
     * A u64 count of items each taking at least {@code minItemBytes} bytes, rejected unless that
     * many items can fit in the rest of the file (so no huge allocation can follow) and in a Java array.
     */
    int count(Supplier<String> field, long minItemBytes) {
        long n = i64(field);
        if (n < 0 || n > remaining() / minItemBytes) {
            throw error(field, "count " + Long.toUnsignedString(n) + " cannot fit in the " + remaining()
                    + " bytes left in the file");
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw error(field, "count " + n + " is too large");
        }
        return (int) n;
    }

    /** A GGUF string: u64 byte length, then UTF-8 bytes (malformed sequences become U+FFFD). */
    String string(Supplier<String> field) {
        Supplier<String> lengthField = () -> field.get() + " string length";
        long length = i64(lengthField);
        if (length < 0 || length > remaining()) {
            throw error(lengthField, "length " + Long.toUnsignedString(length) + " exceeds the " + remaining()
                    + " bytes left in the file");
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw error(lengthField, "length " + length + " is too large for a string");
        }
        byte[] bytes = new byte[(int) length];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, position, bytes, 0, bytes.length);
        position += length;
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
