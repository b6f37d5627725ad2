package dev.flashj.format.safetensors;

import dev.flashj.FlashjException;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A memory-mapped safetensors file: an 8-byte little-endian header length, a JSON header, then the
 * data section. Tensors are read-only slices of the mapping, valid until {@link #close()}.
 *
 * <p>The header may describe tensors of any dtype; asking for one FlashJ cannot use (I64, F8_E4M3...)
 * as a {@link Tensor} fails with a message naming the file, the tensor and the dtype.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest header FlashJ accepts (the reference implementation uses the same bound). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final SafetensorsHeader header;
    private final Map<String, SafetensorsEntry> byName;
    private volatile boolean closed;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, SafetensorsHeader header) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.header = header;
        this.byName = new LinkedHashMap<>();
        for (SafetensorsEntry e : header.entries()) {
            byName.put(e.name(), e);
        }
    }

    /** Maps and validates a safetensors file. */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file;
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            }
            long size = file.byteSize();
            if (size < 8) {
                throw FlashjException.badFile(path, "header length", "file is " + size + " bytes, too short for safetensors");
            }
            long headerLength = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLength < 0 || headerLength > size - 8) {
                throw FlashjException.badFile(path, "header length", Long.toUnsignedString(headerLength)
                        + " bytes does not fit in the file (" + size + " bytes); truncated or not safetensors");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw FlashjException.badFile(path, "header length", headerLength + " bytes is over the "
                        + MAX_HEADER_BYTES + "-byte limit");
            }
            byte[] json = file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = file.asSlice(8 + headerLength).asReadOnly();
            SafetensorsHeader header = SafetensorsHeader.parse(path, json, data.byteSize());
            return new SafetensorsFile(path, arena, data, header);
        } catch (IOException e) {
            arena.close();
            throw new FlashjException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The header's {@code __metadata__} strings (empty when absent). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Every tensor the header describes, in header order, whatever its dtype. */
    public List<SafetensorsEntry> entries() {
        return header.entries();
    }

    public Optional<SafetensorsEntry> entry(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** Whether FlashJ can use this entry as a {@link Tensor}. */
    public static boolean isSupported(SafetensorsEntry entry) {
        return entry.tensorType().isPresent();
    }

    /**
     * The named tensor as a read-only slice of the mapping.
     *
     * @throws FlashjException when the tensor is absent or its dtype is not F32, F16 or BF16
     */
    public Tensor tensor(String name) {
        SafetensorsEntry entry = byName.get(name);
        if (entry == null) {
            throw FlashjException.badFile(path, "tensor '" + name + "'", "not in the file");
        }
        return tensor(entry);
    }

    /** The tensor of one of this file's entries; fails for dtypes FlashJ cannot use. */
    public Tensor tensor(SafetensorsEntry entry) {
        TensorType type = entry.tensorType().orElseThrow(() -> FlashjException.badFile(path,
                "tensor '" + entry.name() + "'", "dtype " + entry.dtype()
                        + " is not supported for weights (FlashJ reads F32, F16 and BF16)"));
        if (byName.get(entry.name()) != entry) {
            throw new IllegalArgumentException(entry.name() + " is not an entry of " + path);
        }
        checkOpen();
        return new Tensor(entry.name(), type, entry.shapeArray(), data.asSlice(entry.begin(), entry.byteSize()));
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
    }

    /** Unmaps the file; tensors obtained from it become invalid. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
