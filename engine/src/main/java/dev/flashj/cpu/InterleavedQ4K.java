package dev.flashj.cpu;

import dev.flashj.tensor.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

import static dev.flashj.cpu.QuantVectors.LE;

/**
 * A Q4_K matrix repacked for the 16-bit integer kernels of {@link InterleavedMatrix}: the format of
 * most "Q4_K_M" files, whose in-place kernel is compute-bound (scale unpacking and the min term).
 *
 * <p>Each 32-element sub-block is {@code x = d*sc*q - dmin*m} with {@code q} in 0..15. With 8-bit
 * activation codes {@code c} (scale {@code dx}) its dot product is
 * {@code dx * (d*sc * sum (q-8)*c + (8*d*sc - dmin*m) * sum c)}: the first sum is the Q4_0 kernel's,
 * the second the activation block's code sum. So the layout keeps, per row and sub-block, the two
 * f32 factors {@code d*sc} (exact in f32) and {@code 8*d*sc - dmin*m}, and re-lays the nibbles as Q4_0
 * does (low nibble: element j, high nibble xor 8: element j + 16).
 *
 * <p>Layout per group of 32 rows and 32-column block, {@link #CHUNK} bytes: 32 f32 scales, 32 f32
 * offsets (both even rows first, then odd rows, matching the kernel's lane pairs), then for each
 * {@code j < 16} the 32 rows' nibble byte {@code j}. 24 bytes per 32 weights against the file's 18:
 * decode reads a third more bytes but no longer waits on arithmetic. Every vector step is spelled out
 * inline (see {@link QuantVectors}).
 */
final class InterleavedQ4K extends InterleavedMatrix {
    static final int CHUNK = 4 * ROWS + 4 * ROWS + 16 * ROWS;

    private static final int SUPER_BLOCK_BYTES = 144;
    private static final int OFFSETS = 4 * ROWS;
    private static final int QUANTS = 8 * ROWS;

    InterleavedQ4K(Tensor source, MemorySegment packed) {
        super(source, packed);
    }

    @Override
    InterleavedMatrix withSource(Tensor source) {
        return new InterleavedQ4K(source, packed);
    }

    /** Packs a Q4_K row into its lane (see {@link InterleavedMatrix#of}); declines infinite or NaN scales. */
    static RowPacker packer(Tensor w) {
        int superBlocks = (int) (w.cols() / 256);
        return (in, rowStart, lane, out) -> {
            int slot = factorSlot(lane);
            for (int sb = 0; sb < superBlocks; sb++) {
                int p = rowStart + sb * SUPER_BLOCK_BYTES;
                short dBits = in.getShort(p);
                short dminBits = in.getShort(p + 2);
                if ((dBits & 0x7C00) == 0x7C00 || (dminBits & 0x7C00) == 0x7C00) {
                    return false;
                }
                float d = Float.float16ToFloat(dBits);
                float dmin = Float.float16ToFloat(dminBits);
                for (int s = 0; s < 8; s++) {
                    int to = (8 * sb + s) * CHUNK;
                    float scale = d * subScale(in, p + 4, s);
                    out.putFloat(to + 4 * slot, scale);
                    out.putFloat(to + OFFSETS + 4 * slot, 8 * scale - dmin * subMin(in, p + 4, s));
                    int quants = p + 16 + 32 * (s / 2);
                    int shift = 4 * (s % 2);
                    for (int j = 0; j < 16; j++) {
                        int low = (in.get(quants + j) >> shift) & 0x0F;
                        int high = (in.get(quants + 16 + j) >> shift) & 0x0F;
                        out.put(to + QUANTS + ROWS * j + lane, (byte) (low | ((high ^ 8) << 4)));
                    }
                }
            }
            return true;
        };
    }

    /** Sub-block {@code s}'s 6-bit scale from the 12 packed bytes at {@code p} (GGML's get_scale_min_k4). */
    private static int subScale(ByteBuffer b, int p, int s) {
        return s < 4 ? b.get(p + s) & 63 : (b.get(p + s + 4) & 0x0F) | ((b.get(p + s - 4) & 0xFF) >> 6 << 4);
    }

    /** Sub-block {@code s}'s 6-bit min from the 12 packed bytes at {@code p}. */
    private static int subMin(ByteBuffer b, int p, int s) {
        return s < 4 ? b.get(p + s + 4) & 63 : ((b.get(p + s + 4) & 0xFF) >> 4) | ((b.get(p + s) & 0xFF) >> 6 << 4);
    }

    @Override
    void multiplyGroup(int group, Q8Activations x, int tokenBlock, float[] out, int outOffset, float[] lanes) {
        MemorySegment w = packed;
        int[] codes = x.pairedCodes();
        float[] scales = x.scales();
        float[] codeSums = x.codeSums();
        long base = (long) group * blocks * CHUNK;
        FloatVector even = FloatVector.zero(FLOATS);
        FloatVector odd = even;
        for (int b = 0; b < blocks; b++) {
            long p = base + (long) b * CHUNK;
            int c = 32 * (tokenBlock + b);
            ShortVector sum = ShortVector.zero(SHORTS);
            for (int j = 0; j < 16; j++) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, p + QUANTS + ROWS * j, LE)
                        .convertShape(VectorOperators.B2S, SHORTS, 0);
                ShortVector low = q.and((short) 0x0F).sub((short) 8);
                ShortVector high = q.lanewise(VectorOperators.ASHR, 4);
                sum = sum.add(low.mul(IntVector.broadcast(INTS, codes[c + j]).reinterpretAsShorts()))
                        .add(high.mul(IntVector.broadcast(INTS, codes[c + 16 + j]).reinterpretAsShorts()));
            }
            // A 16-bit lane pair read as one int: the low half is the even row, the high half the odd one.
            IntVector pairs = sum.reinterpretAsInts();
            FloatVector evenSums = (FloatVector) pairs.lanewise(VectorOperators.LSHL, 16)
                    .lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
            FloatVector oddSums = (FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
            float dx = scales[tokenBlock + b];
            FloatVector offsetFactor = FloatVector.broadcast(FLOATS, codeSums[tokenBlock + b] * dx);
            even = evenSums.fma(FloatVector.fromMemorySegment(FLOATS, w, p, LE).mul(dx), even);
            odd = oddSums.fma(FloatVector.fromMemorySegment(FLOATS, w, p + 64, LE).mul(dx), odd);
            even = FloatVector.fromMemorySegment(FLOATS, w, p + OFFSETS, LE).fma(offsetFactor, even);
            odd = FloatVector.fromMemorySegment(FLOATS, w, p + OFFSETS + 64, LE).fma(offsetFactor, odd);
        }
        even.intoArray(lanes, 0);
        odd.intoArray(lanes, 16);
        storeGroup(lanes, out, outOffset, group, rows);
    }

    /** Four tokens at once: each weight vector widened once and used four times (see {@link InterleavedMatrix#multiplyGroup4}). */
    @Override
    void multiplyGroup4(int group, Q8Activations x, int tokenBlock, float[] out, int outOffset, int outStride,
                        float[] lanes) {
        MemorySegment w = packed;
        int[] codes = x.pairedCodes();
        float[] scales = x.scales();
        float[] codeSums = x.codeSums();
        long base = (long) group * blocks * CHUNK;
        FloatVector even0 = FloatVector.zero(FLOATS);
        FloatVector odd0 = even0;
        FloatVector even1 = even0;
        FloatVector odd1 = even0;
        FloatVector even2 = even0;
        FloatVector odd2 = even0;
        FloatVector even3 = even0;
        FloatVector odd3 = even0;
        for (int b = 0; b < blocks; b++) {
            long p = base + (long) b * CHUNK;
            int x0 = 32 * (tokenBlock + b);
            int x1 = x0 + 32 * blocks;
            int x2 = x1 + 32 * blocks;
            int x3 = x2 + 32 * blocks;
            ShortVector sum0 = ShortVector.zero(SHORTS);
            ShortVector sum1 = sum0;
            ShortVector sum2 = sum0;
            ShortVector sum3 = sum0;
            for (int j = 0; j < 16; j++) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, w, p + QUANTS + ROWS * j, LE)
                        .convertShape(VectorOperators.B2S, SHORTS, 0);
                ShortVector low = q.and((short) 0x0F).sub((short) 8);
                ShortVector high = q.lanewise(VectorOperators.ASHR, 4);
                sum0 = sum0.add(low.mul(IntVector.broadcast(INTS, codes[x0 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x0 + 16 + j]).reinterpretAsShorts()));
                sum1 = sum1.add(low.mul(IntVector.broadcast(INTS, codes[x1 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x1 + 16 + j]).reinterpretAsShorts()));
                sum2 = sum2.add(low.mul(IntVector.broadcast(INTS, codes[x2 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x2 + 16 + j]).reinterpretAsShorts()));
                sum3 = sum3.add(low.mul(IntVector.broadcast(INTS, codes[x3 + j]).reinterpretAsShorts())).add(high.mul(IntVector.broadcast(INTS, codes[x3 + 16 + j]).reinterpretAsShorts()));
            }
            FloatVector evenScale = FloatVector.fromMemorySegment(FLOATS, w, p, LE);
            FloatVector oddScale = FloatVector.fromMemorySegment(FLOATS, w, p + 64, LE);
            FloatVector evenOffset = FloatVector.fromMemorySegment(FLOATS, w, p + OFFSETS, LE);
            FloatVector oddOffset = FloatVector.fromMemorySegment(FLOATS, w, p + OFFSETS + 64, LE);
            // Per token, the one-token kernel's float steps in its order: scale term, then offset term.
            int block = tokenBlock + b;
            float dx = scales[block];
            FloatVector offsetFactor = FloatVector.broadcast(FLOATS, codeSums[block] * dx);
            IntVector pairs = sum0.reinterpretAsInts();
            even0 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(evenScale.mul(dx), even0);
            odd0 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(oddScale.mul(dx), odd0);
            even0 = evenOffset.fma(offsetFactor, even0);
            odd0 = oddOffset.fma(offsetFactor, odd0);
            dx = scales[block + blocks];
            offsetFactor = FloatVector.broadcast(FLOATS, codeSums[block + blocks] * dx);
            pairs = sum1.reinterpretAsInts();
            even1 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(evenScale.mul(dx), even1);
            odd1 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(oddScale.mul(dx), odd1);
            even1 = evenOffset.fma(offsetFactor, even1);
            odd1 = oddOffset.fma(offsetFactor, odd1);
            dx = scales[block + 2 * blocks];
            offsetFactor = FloatVector.broadcast(FLOATS, codeSums[block + 2 * blocks] * dx);
            pairs = sum2.reinterpretAsInts();
            even2 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(evenScale.mul(dx), even2);
            odd2 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(oddScale.mul(dx), odd2);
            even2 = evenOffset.fma(offsetFactor, even2);
            odd2 = oddOffset.fma(offsetFactor, odd2);
            dx = scales[block + 3 * blocks];
            offsetFactor = FloatVector.broadcast(FLOATS, codeSums[block + 3 * blocks] * dx);
            pairs = sum3.reinterpretAsInts();
            even3 = ((FloatVector) pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(evenScale.mul(dx), even3);
            odd3 = ((FloatVector) pairs.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(oddScale.mul(dx), odd3);
            even3 = evenOffset.fma(offsetFactor, even3);
            odd3 = oddOffset.fma(offsetFactor, odd3);
        }
        even0.intoArray(lanes, 0);
        odd0.intoArray(lanes, 16);
        storeGroup(lanes, out, outOffset, group, rows);
        even1.intoArray(lanes, 0);
        odd1.intoArray(lanes, 16);
        storeGroup(lanes, out, outOffset + outStride, group, rows);
        even2.intoArray(lanes, 0);
        odd2.intoArray(lanes, 16);
        storeGroup(lanes, out, outOffset + 2 * outStride, group, rows);
        even3.intoArray(lanes, 0);
        odd3.intoArray(lanes, 16);
        storeGroup(lanes, out, outOffset + 3 * outStride, group, rows);
    }
}
