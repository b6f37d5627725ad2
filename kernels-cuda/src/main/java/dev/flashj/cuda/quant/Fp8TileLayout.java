package dev.flashj.cuda.quant;

import dev.flashj.tensor.Fp8Layout;
import dev.flashj.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The device layout the FP8 kernels read (quant_gemv.cu's GEMV and fp8_gemm.cu's W8A8 GEMM), repacked at
 * load from FlashJ's {@link Fp8Layout}. Rows go in tiles of 16 and k in chunks of 32; each (tile, chunk)
 * is 512 bytes, tile-major. Lane L = 4 * r + j holds 16 bytes: row r at k {@code 8 j .. 8 j + 7} of the
 * chunk, then row r + 8 at the same k. Those bytes are at once the GEMV's fp16 A fragments (after an exact
 * E4M3 to fp16 conversion) and the GEMM's E4M3 B fragments of m16n8k32.
 *
 * <pre>
 * codes   paddedRows * paddedCols bytes   (paddedRows = rows rounded up to 16, paddedCols = cols up to 32)
 * scales  paddedRows f32                  the row's scale; 0 for padding rows
 * </pre>
 *
 * Padding holds code 0 (+0.0).
 */
public final class Fp8TileLayout {
    public static final int TILE_ROWS = 16;
    public static final int CHUNK_COLS = 32;
    static final int TILE_BYTES = 512;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Fp8TileLayout() {
    }

    public static int paddedRows(int rows) {
        return (rows + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS;
    }

    public static int chunks(int cols) {
        return (cols + CHUNK_COLS - 1) / CHUNK_COLS;
    }

    /** Columns rounded up to whole chunks: the row length of the W8A8 GEMM's quantized activations. */
    public static int paddedCols(int cols) {
        return chunks(cols) * CHUNK_COLS;
    }

    public static long codeBytes(int rows, int cols) {
        return (long) paddedRows(rows) * paddedCols(cols);
    }

    public static long scaleBytes(int rows) {
        return 4L * paddedRows(rows);
    }

    /** Repacks a matrix in {@link Fp8Layout} into {@code codes} and {@code scales} (zero-filled by the caller). */
    public static void repack(MemorySegment source, int rows, int cols, MemorySegment codes, MemorySegment scales) {
        checkSizes(source.byteSize(), rows, cols, codes, scales);
        int chunks = chunks(cols);
        // One row tile at a time: its 16 rows copied into plain arrays, then its tiles assembled lane by lane.
        byte[][] tileRows = new byte[TILE_ROWS][chunks * CHUNK_COLS];
        byte[] tileBytes = new byte[chunks * TILE_BYTES];
        for (int tile = 0; tile < paddedRows(rows) / TILE_ROWS; tile++) {
            for (int r = 0; r < TILE_ROWS; r++) {
                int row = tile * TILE_ROWS + r;
                Arrays.fill(tileRows[r], (byte) 0);
                if (row < rows) {
                    MemorySegment.copy(source, ValueLayout.JAVA_BYTE, (long) row * cols, tileRows[r], 0, cols);
                }
            }
            for (int chunk = 0; chunk < chunks; chunk++) {
                for (int lane = 0; lane < 32; lane++) {
                    int k = chunk * CHUNK_COLS + (lane % 4) * 8;
                    int at = chunk * TILE_BYTES + 16 * lane;
                    System.arraycopy(tileRows[lane / 4], k, tileBytes, at, 8);
                    System.arraycopy(tileRows[lane / 4 + 8], k, tileBytes, at + 8, 8);
                }
            }
            MemorySegment.copy(tileBytes, 0, codes, ValueLayout.JAVA_BYTE, (long) tile * tileBytes.length, tileBytes.length);
        }
        for (int r = 0; r < rows; r++) {
            scales.set(F32, 4L * r, source.get(F32, Fp8Layout.scaleOffset(rows, cols, r)));
        }
    }

    /** The inverse of {@link #repack}: the matrix in {@link Fp8Layout}. */
    public static byte[] unpack(MemorySegment codes, MemorySegment scales, int rows, int cols) {
        long size = TensorType.FP8_E4M3.matrixBytes(rows, cols);
        checkSizes(size, rows, cols, codes, scales);
        byte[] out = new byte[Math.toIntExact(size)];
        MemorySegment target = MemorySegment.ofArray(out);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = codes.get(ValueLayout.JAVA_BYTE, byteIndex(cols, r, c));
            }
            target.set(F32, Fp8Layout.scaleOffset(rows, cols, r), scales.get(F32, 4L * r));
        }
        return out;
    }

    /** Byte of element (row, col) in the codes: the layout's definition, which {@link #unpack} reads by. */
    static long byteIndex(int cols, int row, int col) {
        int tile = row / TILE_ROWS;
        int rowInTile = row % TILE_ROWS;
        int chunk = col / CHUNK_COLS;
        int inChunk = col % CHUNK_COLS;
        int lane = 4 * (rowInTile % 8) + inChunk / 8;
        long tileStart = ((long) tile * chunks(cols) + chunk) * TILE_BYTES;
        return tileStart + 16L * lane + 8L * (rowInTile / 8) + inChunk % 8;
    }

    private static void checkSizes(long sourceBytes, int rows, int cols, MemorySegment codes, MemorySegment scales) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("FP8_E4M3: bad shape [" + rows + ", " + cols + "]");
        }
        if (sourceBytes != TensorType.FP8_E4M3.matrixBytes(rows, cols)) {
            throw new IllegalArgumentException("FP8_E4M3: " + sourceBytes + " bytes for a [" + rows + ", " + cols
                    + "] matrix, expected " + TensorType.FP8_E4M3.matrixBytes(rows, cols));
        }
        if (codes.byteSize() < codeBytes(rows, cols) || scales.byteSize() < scaleBytes(rows)) {
            throw new IllegalArgumentException("FP8_E4M3: device layout buffers of " + codes.byteSize() + " and "
                    + scales.byteSize() + " bytes, need " + codeBytes(rows, cols) + " and " + scaleBytes(rows));
        }
    }
}
