package dev.flashj.opencl.kernels;

import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClQueue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The device layout of the GGUF block formats, and the upload that produces it. The bytes are the
 * file's bytes, moved, never decoded:
 * <ul>
 *   <li>Q8_0, Q4_0, Q5_0, Q6_K: the f16 scale {@code d} of each block moves out of the block. The
 *   buffer holds a code region (every block without its 2 scale bytes, in file order: 32 int8 for
 *   Q8_0, 16 nibble bytes for Q4_0, u32 qh + 16 nibble bytes = 20 for Q5_0, ql[128] qh[64]
 *   scales[16] = 208 bytes for Q6_K) followed by a scale region (one half per block, in the same
 *   order) at {@code blocks * codeBytes}. Each block's codes then start on a 16-byte boundary (4 for
 *   Q5_0).</li>
 *   <li>Q4_K, Q5_K: the 144- and 176-byte super-blocks exactly as in the file (d, dmin, scales[12],
 *   for Q5_K qh[32], qs[128]), already 16-byte aligned.</li>
 * </ul>
 * Block {@code b} of row {@code r} is block {@code r * cols / blockSize + b} of the matrix. quant_matmul.cl
 * reads this layout.
 */
public final class QuantLayout {
    /** File bytes re-laid per staging chunk. */
    private static final long CHUNK_BYTES = 16L << 20;

    private QuantLayout() {
    }

    /** Where a block's f16 scale sits in the file's block, or -1 when blocks are kept whole. */
    static int scaleAt(WeightFormat f) {
        return switch (f) {
            case Q8_0, Q4_0, Q5_0 -> 0;
            case Q6_K -> 208;
            case Q4_K, Q5_K -> -1;
            case F32, F16 -> throw new IllegalArgumentException(f + " is not a block format");
        };
    }

    /** Bytes of one block's codes on the device (the file block less its scale, if split). */
    static int codeBytes(WeightFormat f) {
        int block = f.fileType().bytesPerBlock();
        return scaleAt(f) < 0 ? block : block - 2;
    }

    /** Byte offset of the scale region of a [rows, cols] matrix (its code bytes), or -1 if blocks are whole. */
    public static long scaleRegion(WeightFormat f, int rows, int cols) {
        return scaleAt(f) < 0 ? -1 : (long) rows * (cols / f.blockSize()) * codeBytes(f);
    }

    /**
     * Writes the file bytes of a [rows, cols] matrix of block format {@code f} to {@code dst} in the
     * device layout, a chunk of rows at a time.
     */
    public static void upload(ClQueue queue, WeightFormat f, MemorySegment file, int rows, int cols, ClBuffer dst) {
        if (!f.isBlockQuantized()) {
            throw new IllegalArgumentException(f + " is not a block format");
        }
        long expected = f.deviceBytes(rows, cols);
        if (expected < 0 || file.byteSize() < expected || dst.byteSize() < expected) {
            throw new IllegalArgumentException(f + " [" + rows + ", " + cols + "] needs " + expected
                    + " bytes; the source has " + file.byteSize() + ", " + dst.purpose() + " has " + dst.byteSize());
        }
        int blockBytes = f.fileType().bytesPerBlock();
        long blocksPerRow = cols / f.blockSize();
        long rowBytes = blocksPerRow * blockBytes;
        long rowsPerChunk = Math.max(1, Math.min(rows, CHUNK_BYTES / rowBytes));
        int scaleAt = scaleAt(f);
        int code = codeBytes(f);
        long scaleRegion = scaleRegion(f, rows, cols);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment codes = a.allocate(rowsPerChunk * blocksPerRow * code, 16);
            MemorySegment scales = a.allocate(rowsPerChunk * blocksPerRow * 2, 16);
            for (long row = 0; row < rows; row += rowsPerChunk) {
                long blocks = Math.min(rowsPerChunk, rows - row) * blocksPerRow;
                long firstBlock = row * blocksPerRow;
                MemorySegment src = file.asSlice(firstBlock * blockBytes, blocks * blockBytes);
                if (scaleAt < 0) {
                    MemorySegment.copy(src, 0, codes, 0, src.byteSize());
                } else {
                    for (long b = 0; b < blocks; b++) {
                        long at = b * blockBytes;
                        MemorySegment.copy(src, at, codes, b * code, scaleAt);
                        MemorySegment.copy(src, at + scaleAt + 2, codes, b * code + scaleAt, blockBytes - scaleAt - 2);
                        MemorySegment.copy(src, at + scaleAt, scales, 2 * b, 2);
                    }
                    queue.write(dst, scaleRegion + 2 * firstBlock, scales.asSlice(0, 2 * blocks));
                }
                queue.write(dst, firstBlock * code, codes.asSlice(0, blocks * code));
            }
        }
    }
}
