package dev.flashj.format.gguf;

import dev.flashj.FlashjException;
import dev.flashj.tensor.TensorType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF version 3 file: metadata key/values (typed as {@link GgufMetadata} stores them),
 * then tensor infos, then each tensor's bytes at an offset aligned to {@code general.alignment}
 * (default 32). Tensor shapes are given outermost-first, like {@link dev.flashj.tensor.Tensor};
 * the writer stores them innermost-first as GGUF wants. Tensor bytes are streamed from their
 * segments (or produced one tensor at a time by a {@link TensorContent}), never gathered in memory. Invalid input is a {@link FlashjException}.
 */
public final class GgufWriter {
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final Map<String, GgufValueType> types = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    /** A tensor to write: its bytes come from {@code data}, or, when that is null, from {@code content}. */
    private record PendingTensor(String name, TensorType type, long[] shape, long byteSize, MemorySegment data,
                                 TensorContent content) {
    }

    /**
     * Produces a tensor's bytes at {@link #write} time, so that a file larger than memory can be
     * written one tensor at a time.
     */
    @FunctionalInterface
    public interface TensorContent {
        /** Fills all of {@code target} (sized for the tensor) with the tensor's bytes in its type's layout. */
        void fill(MemorySegment target);
    }

    /**
     * Adds (or replaces) a key. {@code value} must have the Java type {@link GgufMetadata} uses for
     * {@code type}; integers must fit the type's range; arrays must be {@link GgufArray}s.
     */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        checkValue(key, type, value, 0);
        if (key.equals(GgufFile.ALIGNMENT_KEY)) {
            checkAlignment(value);
        }
        values.put(key, value);
        types.put(key, type);
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValueType.STRING, value);
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, GgufValueType.UINT32, value);
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValueType.INT32, (long) value);
    }

    public GgufWriter putUInt64(String key, long value) {
        return put(key, GgufValueType.UINT64, value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    public GgufWriter putFloat64(String key, double value) {
        return put(key, GgufValueType.FLOAT64, value);
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValueType.BOOL, value);
    }

    public GgufWriter putArray(String key, GgufArray value) {
        return put(key, GgufValueType.ARRAY, value);
    }

    /** Copies every key of another file's metadata with its original type. */
    public GgufWriter putAll(GgufMetadata metadata) {
        for (Map.Entry<String, Object> e : metadata.asMap().entrySet()) {
            put(e.getKey(), metadata.type(e.getKey()).orElseThrow(), e.getValue());
        }
        return this;
    }

    /** Removes a key if present. */
    public GgufWriter remove(String key) {
        values.remove(key);
        types.remove(key);
        return this;
    }

    /** Sets {@code general.alignment} (a power of two). */
    public GgufWriter alignment(int alignment) {
        return putUInt32(GgufFile.ALIGNMENT_KEY, alignment);
    }

    /** Adds a tensor whose bytes (already in {@code type}'s layout) are read when {@link #write} runs. */
    public GgufWriter addTensor(String name, TensorType type, long[] shape, MemorySegment data) {
        long bytes = checkTensor(name, type, shape);
        if (bytes != data.byteSize()) {
            throw invalid("tensor " + name, type + " " + java.util.Arrays.toString(shape) + " needs "
                    + bytes + " bytes, got " + data.byteSize());
        }
        tensorNames.add(name);
        tensors.add(new PendingTensor(name, type, shape.clone(), bytes, data, null));
        return this;
    }

    /** Adds a tensor whose bytes {@code content} produces when {@link #write} runs (one tensor in memory at a time). */
    public GgufWriter addTensor(String name, TensorType type, long[] shape, TensorContent content) {
        long bytes = checkTensor(name, type, shape);
        tensorNames.add(name);
        tensors.add(new PendingTensor(name, type, shape.clone(), bytes, null, content));
        return this;
    }

    /** The byte size of a valid new tensor. */
    private long checkTensor(String name, TensorType type, long[] shape) {
        if (tensorNames.contains(name)) {
            throw invalid("tensor " + name, "duplicate tensor name");
        }
        if (shape.length < 1 || shape.length > GgufFile.MAX_DIMS) {
            throw invalid("tensor " + name, "needs 1 to " + GgufFile.MAX_DIMS + " dimensions, got " + shape.length);
        }
        long elements = 1;
        for (long d : shape) {
            if (d <= 0) {
                throw invalid("tensor " + name, "dimension " + d + " is not positive");
            }
            if (elements > Long.MAX_VALUE / d) {
                throw invalid("tensor " + name, "element count overflows 64 bits");
            }
            elements *= d;
        }
        if (shape[shape.length - 1] % type.blockSize() != 0) {
            throw invalid("tensor " + name, "innermost dimension " + shape[shape.length - 1]
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        long cols = shape[shape.length - 1];
        long bytes = type.matrixBytes(elements / cols, cols);
        if (bytes < 0) {
            throw invalid("tensor " + name, "byte count overflows 64 bits");
        }
        return bytes;
    }

    public GgufWriter addTensor(String name, TensorType type, long[] shape, byte[] data) {
        return addTensor(name, type, shape, MemorySegment.ofArray(data));
    }

    /** Writes the file, replacing any existing one. */
    public void write(Path path) {
        long alignment = values.containsKey(GgufFile.ALIGNMENT_KEY)
                ? (Long) values.get(GgufFile.ALIGNMENT_KEY) : GgufFile.DEFAULT_ALIGNMENT;
        long[] offsets = new long[tensors.size()];
        long dataSize = 0;
        for (int i = 0; i < tensors.size(); i++) {
            offsets[i] = dataSize;
            dataSize = alignUp(dataSize + tensors.get(i).byteSize(), alignment);
        }
        LittleEndianBuffer header = new LittleEndianBuffer();
        header.i32(GgufFile.MAGIC);
        header.i32(3);
        header.i64(tensors.size());
        header.i64(values.size());
        for (Map.Entry<String, Object> e : values.entrySet()) {
            header.string(e.getKey());
            GgufValueType type = types.get(e.getKey());
            header.i32(type.id());
            writeValue(header, type, e.getValue());
        }
        for (int i = 0; i < tensors.size(); i++) {
            PendingTensor t = tensors.get(i);
            header.string(t.name());
            header.i32(t.shape().length);
            for (int d = t.shape().length - 1; d >= 0; d--) {
                header.i64(t.shape()[d]);
            }
            header.i32(t.type().ggmlId());
            header.i64(offsets[i]);
        }
        header.pad(alignment);

        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, ByteBuffer.wrap(header.toByteArray()));
            long written = 0;
            for (int i = 0; i < tensors.size(); i++) {
                writeZeros(out, offsets[i] - written);
                PendingTensor tensor = tensors.get(i);
                if (tensor.data() != null) {
                    writeSegment(out, tensor.data());
                } else {
                    try (Arena arena = Arena.ofShared()) { // shared: a TensorContent may fill on worker threads
                        MemorySegment produced = arena.allocate(tensor.byteSize(), 64);
                        tensor.content().fill(produced);
                        writeSegment(out, produced);
                    }
                }
                written = offsets[i] + tensor.byteSize();
            }
            writeZeros(out, dataSize - written);
        } catch (IOException e) {
            throw new FlashjException(path + ": cannot write: " + e.getMessage(), e);
        }
    }

    private static void writeSegment(FileChannel out, MemorySegment data) throws IOException {
        for (long pos = 0; pos < data.byteSize(); pos += 1 << 30) {
            long n = Math.min(1 << 30, data.byteSize() - pos);
            writeFully(out, data.asSlice(pos, n).asByteBuffer());
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    private static void writeZeros(FileChannel out, long count) throws IOException {
        if (count > 0) {
            writeFully(out, ByteBuffer.allocate((int) count));
        }
    }

    private static long alignUp(long value, long alignment) {
        return Math.ceilDiv(value, alignment) * alignment;
    }

    private static void writeValue(LittleEndianBuffer out, GgufValueType type, Object value) {
        switch (type) {
            case UINT8, INT8 -> out.i8((int) (long) (Long) value);
            case UINT16, INT16 -> out.i16((int) (long) (Long) value);
            case UINT32, INT32 -> out.i32((int) (long) (Long) value);
            case UINT64, INT64 -> out.i64((Long) value);
            case FLOAT32 -> out.i32(Float.floatToRawIntBits((Float) value));
            case FLOAT64 -> out.i64(Double.doubleToRawLongBits((Double) value));
            case BOOL -> out.i8((Boolean) value ? 1 : 0);
            case STRING -> out.string((String) value);
            case ARRAY -> {
                GgufArray array = (GgufArray) value;
                GgufValueType elementType = array.elementType();
                out.i32(elementType.id());
                out.i64(array.length());
                switch (array.values()) {
                    case long[] a -> {
                        for (long v : a) {
                            writeValue(out, elementType, v);
                        }
                    }
                    case float[] a -> {
                        for (float v : a) {
                            out.i32(Float.floatToRawIntBits(v));
                        }
                    }
                    case double[] a -> {
                        for (double v : a) {
                            out.i64(Double.doubleToRawLongBits(v));
                        }
                    }
                    case boolean[] a -> {
                        for (boolean v : a) {
                            out.i8(v ? 1 : 0);
                        }
                    }
                    case String[] a -> {
                        for (String v : a) {
                            out.string(v);
                        }
                    }
                    case GgufArray[] a -> {
                        for (GgufArray v : a) {
                            writeValue(out, GgufValueType.ARRAY, v);
                        }
                    }
                    default -> throw new IllegalStateException("unchecked array storage " + array.values().getClass());
                }
            }
        }
    }

    private static void checkValue(String key, GgufValueType type, Object value, int depth) {
        boolean ok = switch (type) {
            case UINT8 -> value instanceof Long v && v >= 0 && v <= 0xFF;
            case INT8 -> value instanceof Long v && v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
            case UINT16 -> value instanceof Long v && v >= 0 && v <= 0xFFFF;
            case INT16 -> value instanceof Long v && v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
            case UINT32 -> value instanceof Long v && v >= 0 && v <= 0xFFFF_FFFFL;
            case INT32 -> value instanceof Long v && v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
            case UINT64, INT64 -> value instanceof Long;
            case FLOAT32 -> value instanceof Float;
            case FLOAT64 -> value instanceof Double;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String;
            case ARRAY -> value instanceof GgufArray;
        };
        if (!ok) {
            throw invalid("metadata key '" + key + "'", "value " + value + " is not a valid " + type);
        }
        if (value instanceof GgufArray array) {
            if (depth >= GgufValueReader.MAX_ARRAY_DEPTH) {
                throw invalid("metadata key '" + key + "'", "arrays nested deeper than " + GgufValueReader.MAX_ARRAY_DEPTH);
            }
            GgufValueType elementType = array.elementType();
            Object storage = array.values();
            switch (storage) {
                case long[] a when elementType.isInteger() -> {
                    for (long v : a) {
                        checkValue(key, elementType, v, depth + 1);
                    }
                }
                case float[] ignored when elementType == GgufValueType.FLOAT32 -> {
                }
                case double[] ignored when elementType == GgufValueType.FLOAT64 -> {
                }
                case boolean[] ignored when elementType == GgufValueType.BOOL -> {
                }
                case String[] a when elementType == GgufValueType.STRING -> {
                    for (String v : a) {
                        checkValue(key, elementType, v, depth + 1);
                    }
                }
                case GgufArray[] a when elementType == GgufValueType.ARRAY -> {
                    for (GgufArray v : a) {
                        checkValue(key, elementType, v, depth + 1);
                    }
                }
                default -> throw invalid("metadata key '" + key + "'", "array of " + elementType
                        + " cannot be stored in a " + storage.getClass().getSimpleName());
            }
        }
    }

    private static void checkAlignment(Object value) {
        long a = (Long) value;
        if (a <= 0 || Long.bitCount(a) != 1 || a > (1L << 30)) {
            throw invalid(GgufFile.ALIGNMENT_KEY, "alignment " + a + " is not a power of two between 1 and 2^30");
        }
    }

    private static FlashjException invalid(String field, String reason) {
        return new FlashjException("GGUF writer: " + field + ": " + reason);
    }

    /** A growable little-endian byte buffer for the header. */
    private static final class LittleEndianBuffer {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void i8(int v) {
            bytes.write(v);
        }

        void i16(int v) {
            scratch.clear();
            bytes.write(scratch.putShort((short) v).array(), 0, 2);
        }

        void i32(int v) {
            scratch.clear();
            bytes.write(scratch.putInt(v).array(), 0, 4);
        }

        void i64(long v) {
            scratch.clear();
            bytes.write(scratch.putLong(v).array(), 0, 8);
        }

        void string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            i64(utf8.length);
            bytes.write(utf8, 0, utf8.length);
        }

        void pad(long alignment) {
            long padding = alignUp(bytes.size(), alignment) - bytes.size();
            bytes.write(new byte[(int) padding], 0, (int) padding);
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
