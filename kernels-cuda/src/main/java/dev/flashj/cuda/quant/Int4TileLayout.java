package dev.flashj.cuda.quant;

import dev.flashj.tensor.Int4Layout;
import dev.flashj.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The device layout the INT4 kernels read (quant_gemv.cu), repacked at load from FlashJ's
 * {@link Int4Layout}. Rows go in tiles of 16 and k in chunks of 64; each (tile, chunk) is 512 bytes,
 * tile-major, so a warp reads it with one 16-byte load per lane. Lane L = 4 * r + j holds rows r and
 * r + 8 at k {@code 16 j .. 16 j + 15} of the chunk as four 32-bit words, one per k16 mma step s
 * (k {@code 16 j + 4 s .. + 3}). Nibble p of a word holds the lower k of pair p and nibble p + 4 the
 * upper one, pair p being row {@code r + 8 (p & 1)}, k {@code 4 s + 2 (p >> 1) + {0, 1}}: the order
 * in which a mask and an OR with 0x6400 give two fp16 values at once, as Marlin does.
 *
 * <pre>
 * codes   paddedRows * paddedCols / 2 bytes  (paddedRows = rows rounded up to 16, paddedCols = cols up to 64)
 * params  paddedCols / G * paddedRows pairs  pair (g, r) at 4 * (g * paddedRows + r): f16 scale, f16 offset
 * </pre>
 *
 * Padding holds code 0 with scale = offset = 0, so it adds nothing whatever x holds there.
 */
public final class Int4TileLayout {
    public static final int TILE_ROWS = 16;
    public static final int CHUNK_COLS = 64;
    static final int TILE_BYTES = 512;

    private Int4TileLayout() {
    }

    public static int paddedRows(int rows) {
        return (rows + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS;
    }

    public static int chunks(int cols) {
        return (cols + CHUNK_COLS - 1) / CHUNK_COLS;
    }

    public static long codeBytes(int rows, int cols) {
        return (long) paddedRows(rows) / TILE_ROWS * chunks(cols) * TILE_BYTES;
    }

    public static long paramBytes(TensorType type, int rows, int cols) {
        return 4L * groups(type, cols) * paddedRows(rows);
    }

    /** Groups per padded row: the last ones may lie wholly in the padding (zero params). */
    static int groups(TensorType type, int cols) {
        return chunks(cols) * CHUNK_COLS / Int4Layout.groupSize(type);
    }

    /**
     * Repacks a {@code [rows, cols]} matrix in {@link Int4Layout} ({@code source}) into {@code codes} and
     * {@code params} ({@link #codeBytes} and {@link #paramBytes} long, zero-filled by the caller).
     */
    public static void repack(TensorType type, MemorySegment source, int rows, int cols, MemorySegment codes,
                              MemorySegment params) {
        checkSizes(type, source.byteSize(), rows, cols, codes, params);
        int group = Int4Layout.groupSize(type);
        int chunks = chunks(cols);
        // One row tile at a time: its 16 rows' codes unpacked into plain arrays, then its tiles assembled word by word.
        byte[] packedRow = new byte[cols / 2];
        byte[][] tileCodes = new byte[TILE_ROWS][chunks * CHUNK_COLS];
        byte[] tileBytes = new byte[chunks * TILE_BYTES];
        for (int tile = 0; tile < paddedRows(rows) / TILE_ROWS; tile++) {
            for (int r = 0; r < TILE_ROWS; r++) {
                int row = tile * TILE_ROWS + r;
                Arrays.fill(tileCodes[r], (byte) 0);
                if (row < rows) {
                    MemorySegment.copy(source, ValueLayout.JAVA_BYTE, (long) row * cols / 2, packedRow, 0, cols / 2);
                    unpackRow(packedRow, group, tileCodes[r]);
                }
            }
            for (int chunk = 0; chunk < chunks; chunk++) {
                for (int lane = 0; lane < 32; lane++) {
                    for (int step = 0; step < 4; step++) {
                        int word = 0;
                        for (int pair = 0; pair < 4; pair++) {
                            byte[] rowCodes = tileCodes[lane / 4 + 8 * (pair & 1)];
                            int k = chunk * CHUNK_COLS + (lane % 4) * 16 + 4 * step + 2 * (pair >> 1);
                            word |= rowCodes[k] << (4 * pair) | rowCodes[k + 1] << (4 * pair + 16);
                        }
                        int at = chunk * TILE_BYTES + 16 * lane + 4 * step;
                        tileBytes[at] = (byte) word;
                        tileBytes[at + 1] = (byte) (word >>> 8);
                        tileBytes[at + 2] = (byte) (word >>> 16);
                        tileBytes[at + 3] = (byte) (word >>> 24);
                    }
                }
            }
            MemorySegment.copy(tileBytes, 0, codes, ValueLayout.JAVA_BYTE, (long) tile * tileBytes.length, tileBytes.length);
        }
        long sourceParams = Int4Layout.paramsStart(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / group; g++) {
                int pair = source.get(ValueLayout.JAVA_INT_UNALIGNED, sourceParams + 4 * ((long) r * (cols / group) + g));
                params.set(ValueLayout.JAVA_INT_UNALIGNED, 4 * ((long) g * paddedRows(rows) + r), pair);
            }
        }
    }

    /** A row's codes (0..15, one per byte) from its {@link Int4Layout} bytes. */
    private static void unpackRow(byte[] packedRow, int group, byte[] rowCodes) {
        int half = group / 2;
        for (int g = 0; g < packedRow.length / half; g++) {
            for (int j = 0; j < half; j++) {
                int b = packedRow[g * half + j] & 0xFF;
                rowCodes[g * group + j] = (byte) (b & 0xF);
                rowCodes[g * group + half + j] = (byte) (b >>> 4);
            }
        }
    }

    /** The inverse of {@link #repack}: the matrix in {@link Int4Layout}. */
    public static byte[] unpack(TensorType type, MemorySegment codes, MemorySegment params, int rows, int cols) {
        int group = Int4Layout.groupSize(type);
        long size = type.matrixBytes(rows, cols);
        checkSizes(type, size, rows, cols, codes, params);
        byte[] out = new byte[Math.toIntExact(size)];
        MemorySegment target = MemorySegment.ofArray(out);
        long targetParams = Int4Layout.paramsStart(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int code = nibble(codes, nibbleIndex(rows, cols, r, c));
                int inGroup = c % group;
                int at = (int) ((long) r * cols / 2 + (long) (c / group) * group / 2 + inGroup % (group / 2));
                out[at] |= (byte) (inGroup < group / 2 ? code : code << 4);
            }
            for (int g = 0; g < cols / group; g++) {
                int pair = params.get(ValueLayout.JAVA_INT_UNALIGNED, 4 * ((long) g * paddedRows(rows) + r));
                target.set(ValueLayout.JAVA_INT_UNALIGNED, targetParams + 4 * ((long) r * (cols / group) + g), pair);
            }
        }
        return out;
    }

    /**
     * Position of element (row, col) in the codes, in nibbles (byte = index / 2, high nibble when odd): the
     * layout's definition, which {@link #unpack} reads by and {@link #repack}'s word assembly must agree with.
     */
    static long nibbleIndex(int rows, int cols, int row, int col) {
        int tile = row / TILE_ROWS;
        int rowInTile = row % TILE_ROWS;
        int chunk = col / CHUNK_COLS;
        int inChunk = col % CHUNK_COLS;
        int lane = 4 * (rowInTile % 8) + inChunk / 16;
        int step = inChunk % 16 / 4;
        int pair = (rowInTile / 8) | ((inChunk % 4) / 2) << 1;
        int nibbleInWord = pair + 4 * (inChunk % 2);
        long tileStart = ((long) tile * chunks(cols) + chunk) * TILE_BYTES;
        return 2 * (tileStart + 16L * lane + 4L * step) + nibbleInWord;
    }

    private static int nibble(MemorySegment codes, long index) {
        int b = codes.get(ValueLayout.JAVA_BYTE, index / 2) & 0xFF;
        return (index & 1) == 0 ? b & 0xF : b >>> 4;
    }

    private static void checkSizes(TensorType type, long sourceBytes, int rows, int cols, MemorySegment codes,
                                   MemorySegment params) {
        int group = Int4Layout.groupSize(type);
        if (rows <= 0 || cols <= 0 || cols % group != 0) {
            throw new IllegalArgumentException(type + ": [" + rows + ", " + cols + "] needs columns a multiple of " + group);
        }
        if (sourceBytes != type.matrixBytes(rows, cols)) {
            throw new IllegalArgumentException(type + ": " + sourceBytes + " bytes for a [" + rows + ", " + cols
                    + "] matrix, expected " + type.matrixBytes(rows, cols));
        }
        if (codes.byteSize() < codeBytes(rows, cols) || params.byteSize() < paramBytes(type, rows, cols)) {
            throw new IllegalArgumentException(type + ": device layout buffers of " + codes.byteSize() + " and "
                    + params.byteSize() + " bytes, need " + codeBytes(rows, cols) + " and " + paramBytes(type, rows, cols));
        }
    }
}
