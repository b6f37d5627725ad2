package dev.flashj.cli.bench;

import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.runtime.DeviceBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Moving benchmark data to and from the GPU in the kernels' 16-bit storage types, and the host-side
 * facts the CUDA cases share (poison patterns, tolerances). The host keeps values already rounded to
 * the storage type, so a float64 reference sees exactly the inputs the kernel read.
 */
final class CudaData {
    private CudaData() {
    }

    /** The storage type a --dtype names on CUDA (f16 or bf16). */
    static CudaStorage storage(Dtype dtype) {
        return switch (dtype) {
            case F16 -> CudaStorage.F16;
            case BF16 -> CudaStorage.BF16;
            default -> throw new IllegalArgumentException("no CUDA storage type for " + dtype.cliName());
        };
    }

    /** The relative tolerance of a 16-bit kernel's check: output rounding plus 16-bit probabilities in attention. */
    static double tolerance(CudaStorage storage) {
        return storage == CudaStorage.F16 ? 4e-3 : 3e-2;
    }

    /** Two quiet NaNs of the storage type in one 32-bit word (fp16 0x7e00, bf16 0x7fc0), for poisoning outputs. */
    static int nanPair(CudaStorage storage) {
        int nan = storage == CudaStorage.F16 ? 0x7e00 : 0x7fc0;
        return nan << 16 | nan;
    }

    /** Bytes for {@code elements} 16-bit values, rounded up to whole 32-bit words (so poisoning can fill them). */
    static long bytes16(long elements) {
        return (2 * elements + 3) / 4 * 4;
    }

    /** Rounds every value to what the storage type holds, in place; returns {@code values}. */
    static float[] round(CudaStorage storage, float[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = storage.round(values[i]);
        }
        return values;
    }

    /** A new buffer holding {@code values} in the storage type. */
    static DeviceBuffer upload(CudaBackend backend, CudaStorage storage, float[] values, String purpose) {
        DeviceBuffer buffer = backend.context().allocate(bytes16(values.length), purpose);
        try {
            short[] bits = new short[values.length];
            for (int i = 0; i < values.length; i++) {
                bits[i] = storage.encode(values[i]);
            }
            backend.stream().writeShorts(buffer, 0, bits);
            return buffer;
        } catch (RuntimeException e) {
            buffer.close();
            throw e;
        }
    }

    /** A new buffer holding fp32 {@code values}. */
    static DeviceBuffer uploadFloats(CudaBackend backend, float[] values, String purpose) {
        DeviceBuffer buffer = backend.context().allocate(4L * values.length, purpose);
        try {
            backend.stream().writeFloats(buffer, 0, values);
            return buffer;
        } catch (RuntimeException e) {
            buffer.close();
            throw e;
        }
    }

    /** Fills the first {@code elements} values (rounded up to an even count) with NaN. */
    static void poison(CudaBackend backend, CudaStorage storage, DeviceBuffer buffer, long elements) {
        backend.stream().fill32(buffer, 0, nanPair(storage), (elements + 1) / 2);
    }

    /** Waits for the stream and reads {@code count} 16-bit values as floats. */
    static float[] download(CudaBackend backend, CudaStorage storage, DeviceBuffer buffer, int count) {
        short[] bits = backend.stream().readShorts(buffer, 0, count);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = storage.decode(bits[i]);
        }
        return values;
    }

    /**
     * A buffer of {@code elements} random values in [-1, 1) repeating a block of at most 2^20 (for the
     * ceilings, whose sizes would take seconds to fill from the host value by value).
     */
    static DeviceBuffer randomPattern(CudaBackend backend, CudaStorage storage, long elements, SplittableRandom random,
                                      String purpose) {
        DeviceBuffer buffer = backend.context().allocate(bytes16(elements), purpose);
        int block = (int) Math.min(elements, 1 << 20);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pattern = arena.allocate(ValueLayout.JAVA_SHORT, block);
            for (int i = 0; i < block; i++) {
                pattern.setAtIndex(ValueLayout.JAVA_SHORT, i, storage.encode((float) random.nextDouble(-1, 1)));
            }
            for (long done = 0; done < elements; done += block) {
                long n = Math.min(block, elements - done);
                backend.stream().copyToDevice(buffer, 2 * done, pattern.asSlice(0, 2 * n));
            }
            backend.stream().synchronize();
            return buffer;
        } catch (RuntimeException e) {
            buffer.close();
            throw e;
        }
    }
}
