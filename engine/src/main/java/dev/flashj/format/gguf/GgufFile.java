package dev.flashj.format.gguf;

import dev.flashj.FlashjException;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A GGUF file (version 2 or 3, little-endian), memory-mapped once: its metadata and its tensors,
 * whose bytes are read-only slices of the mapping. Every count, length, shape and offset is checked
 * against the file before it is used. Tensors stay valid until {@link #close()}.
 */
public final class GgufFile implements AutoCloseable {
    /** "GGUF" read as a little-endian u32. */
    static final int MAGIC = 0x46554747;
    static final int DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    /** GGML tensors have at most this many dimensions. */
    static final int MAX_DIMS = 4;
    /** Smallest possible key/value entry: key length, empty key, type id, one byte of value. */
    private static final long MIN_KV_BYTES = 8 + 4 + 1;
    /** Smallest possible tensor info: name length, n_dims, one dim, type, offset. */
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

    private final Path path;
    private final Arena arena;
    private final int version;
    private final GgufMetadata metadata;
    private final long alignment;
    private final long dataOffset;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> tensorsByName;

    private GgufFile(Path path, Arena arena, int version, GgufMetadata metadata, long alignment, long dataOffset,
                     List<Tensor> tensors) {
        this.path = path;
        this.arena = arena;
        this.version = version;
        this.metadata = metadata;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.tensors = Collections.unmodifiableList(tensors);
        Map<String, Tensor> byName = new HashMap<>();
        for (Tensor t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = byName;
    }

    /** Maps and parses a GGUF file; any problem with it is a {@link FlashjException} naming the file and field. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment segment;
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            }
            return parse(path, arena, segment.asReadOnly());
        } catch (IOException e) {
            arena.close();
            throw new FlashjException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment segment) {
        GgufCursor cursor = new GgufCursor(path, segment);
        int magic = cursor.i32(() -> "magic");
        if (magic != MAGIC) {
            throw cursor.error(() -> "magic", "not a GGUF file (expected 'GGUF', found 0x"
                    + String.format("%08x", Integer.reverseBytes(magic)) + ")");
        }
        int version = cursor.i32(() -> "version");
        if (version != 2 && version != 3) {
            if ((version & 0xFFFF) == 0 && Integer.reverseBytes(version) > 0 && Integer.reverseBytes(version) < 0x10000) {
                throw cursor.error(() -> "version", "big-endian GGUF files are not supported (version "
                        + Integer.reverseBytes(version) + " stored big-endian)");
            }
            throw cursor.error(() -> "version", "unsupported GGUF version " + Integer.toUnsignedString(version)
                    + " (FlashJ reads versions 2 and 3)");
        }
        long tensorCountRaw = cursor.i64(() -> "tensor_count");
        int kvCount = cursor.count(() -> "kv_count", MIN_KV_BYTES);
        if (tensorCountRaw < 0 || tensorCountRaw > cursor.remaining() / MIN_TENSOR_INFO_BYTES) {
            throw cursor.error(() -> "tensor_count", "count " + Long.toUnsignedString(tensorCountRaw)
                    + " cannot fit in the " + cursor.remaining() + " bytes left in the file");
        }
        int tensorCount = (int) tensorCountRaw;

        GgufMetadata metadata = readMetadata(cursor, kvCount);
        long alignment = alignment(path, metadata);
        List<GgufTensorInfo> infos = readTensorInfos(cursor, tensorCount);
        long dataOffset = Math.ceilDiv(cursor.position(), alignment) * alignment;

        List<Tensor> tensors = new ArrayList<>(infos.size());
        for (int i = 0; i < infos.size(); i++) {
            tensors.add(slice(cursor, segment, i, infos.get(i), dataOffset, alignment));
        }
        return new GgufFile(path, arena, version, metadata, alignment, dataOffset, tensors);
    }

    private static GgufMetadata readMetadata(GgufCursor cursor, int kvCount) {
        GgufValueReader reader = new GgufValueReader(cursor);
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        for (int i = 0; i < kvCount; i++) {
            int index = i;
            String key = cursor.string(() -> "metadata entry " + index + " key");
            Supplier<String> field = () -> "metadata key '" + key + "'";
            if (values.containsKey(key)) {
                throw cursor.error(field, "duplicate key");
            }
            GgufValueType type = reader.type(() -> field.get() + " value type");
            values.put(key, reader.value(type, field));
            types.put(key, type);
        }
        return new GgufMetadata(cursor.file(), values, types);
    }

    private static long alignment(Path path, GgufMetadata metadata) {
        Optional<Object> value = metadata.get(ALIGNMENT_KEY);
        if (value.isEmpty()) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(value.get() instanceof Long a)) {
            throw FlashjException.badFile(path, ALIGNMENT_KEY, "expected an integer, found "
                    + metadata.type(ALIGNMENT_KEY).orElseThrow());
        }
        if (a <= 0 || Long.bitCount(a) != 1 || a > (1L << 30)) {
            throw FlashjException.badFile(path, ALIGNMENT_KEY, "alignment " + Long.toUnsignedString(a)
                    + " is not a power of two between 1 and 2^30");
        }
        return a;
    }

    private static List<GgufTensorInfo> readTensorInfos(GgufCursor cursor, int tensorCount) {
        List<GgufTensorInfo> infos = new ArrayList<>(tensorCount);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < tensorCount; i++) {
            int index = i;
            String name = cursor.string(() -> "tensor " + index + " name");
            Supplier<String> field = () -> "tensor " + index + " (" + name + ")";
            Integer previous = seen.putIfAbsent(name, i);
            if (previous != null) {
                throw cursor.error(field, "duplicate tensor name (also tensor " + previous + ")");
            }
            int nDims = cursor.i32(() -> field.get() + " n_dims");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw cursor.error(() -> field.get() + " n_dims", "n_dims " + Integer.toUnsignedString(nDims)
                        + " is not between 1 and " + MAX_DIMS);
            }
            long[] ggufDims = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long dim = cursor.i64(() -> field.get() + " dims");
                if (dim <= 0) {
                    throw cursor.error(() -> field.get() + " dims", "dimension " + Long.toUnsignedString(dim)
                            + " must be positive");
                }
                ggufDims[d] = dim;
                try {
                    elements = Math.multiplyExact(elements, dim);
                } catch (ArithmeticException overflow) {
                    throw cursor.error(() -> field.get() + " dims", "element count overflows 64 bits");
                }
            }
            int typeId = cursor.i32(() -> field.get() + " type");
            TensorType type = TensorType.fromGgmlId(typeId).orElseThrow(() -> cursor.error(
                    () -> field.get() + " type", "unsupported tensor type " + TensorType.ggmlName(typeId)));
            if (ggufDims[0] % type.blockSize() != 0) {
                throw cursor.error(() -> field.get() + " dims", "innermost dimension " + ggufDims[0]
                        + " is not a multiple of the " + type + " block size " + type.blockSize());
            }
            long byteSize = type.matrixBytes(elements / ggufDims[0], ggufDims[0]);
            long elementCount = elements;
            if (byteSize < 0) {
                throw cursor.error(() -> field.get() + " dims", "byte size of " + elementCount + " " + type
                        + " elements overflows 64 bits");
            }
            long offset = cursor.i64(() -> field.get() + " offset");
            infos.add(new GgufTensorInfo(name, ggufDims, type, offset, byteSize));
        }
        return infos;
    }

    private static Tensor slice(GgufCursor cursor, MemorySegment segment, int index, GgufTensorInfo info,
                                long dataOffset, long alignment) {
        Supplier<String> field = () -> "tensor " + index + " (" + info.name() + ") offset";
        long offset = info.offset();
        if (offset < 0 || offset % alignment != 0) {
            throw cursor.error(field, "offset " + Long.toUnsignedString(offset) + " is not a multiple of the alignment "
                    + alignment);
        }
        long dataBytes = Math.max(0, segment.byteSize() - dataOffset);
        if (offset > dataBytes || info.byteSize() > dataBytes - offset) {
            throw cursor.error(field, "data [" + offset + ", +" + info.byteSize() + " bytes) ends past the "
                    + dataBytes + " bytes of the data section (which starts at file offset " + dataOffset + ")");
        }
        MemorySegment data = segment.asSlice(dataOffset + offset, info.byteSize()).asReadOnly();
        return new Tensor(info.name(), info.type(), info.shape(), data);
    }

    public Path path() {
        return path;
    }

    /** The GGUF version, 2 or 3. */
    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    /** Alignment of tensor data, from {@code general.alignment} (default 32). */
    public long alignment() {
        return alignment;
    }

    /** File offset where the tensor data section starts. */
    public long dataOffset() {
        return dataOffset;
    }

    /** Every tensor, in file order; shapes outermost-first. */
    public List<Tensor> tensors() {
        return tensors;
    }

    public Optional<Tensor> tensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /** Unmaps the file; tensors obtained from it must not be used afterwards. */
    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return path + " (GGUF v" + version + ", " + metadata.keys().size() + " keys, " + tensors.size() + " tensors)";
    }
}
