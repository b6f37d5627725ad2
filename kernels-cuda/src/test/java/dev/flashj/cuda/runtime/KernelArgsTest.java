package dev.flashj.cuda.runtime;

import dev.flashj.FlashjException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KernelArgsTest {

    /** kernelParams[i] must point at a slot holding argument i with the C type's bytes. */
    @Test
    void eachPointerAddressesItsTypedValue() {
        try (KernelArgs args = new KernelArgs()) {
            args.reset().devicePointer(0x7f00_1234_5600L).i32(-7).i64(1L << 40).f32(0.125f).devicePointer(0);
            assertEquals(5, args.count());
            MemorySegment params = args.kernelParams();
            MemorySegment p0 = params.getAtIndex(ValueLayout.ADDRESS, 0).reinterpret(8);
            MemorySegment p1 = params.getAtIndex(ValueLayout.ADDRESS, 1).reinterpret(8);
            MemorySegment p2 = params.getAtIndex(ValueLayout.ADDRESS, 2).reinterpret(8);
            MemorySegment p3 = params.getAtIndex(ValueLayout.ADDRESS, 3).reinterpret(8);
            MemorySegment p4 = params.getAtIndex(ValueLayout.ADDRESS, 4).reinterpret(8);
            assertEquals(0x7f00_1234_5600L, p0.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(-7, p1.get(ValueLayout.JAVA_INT, 0));
            assertEquals(1L << 40, p2.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0.125f, p3.get(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(0L, p4.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(8, p1.address() - p0.address());
            assertEquals(0, p0.address() % 8);
        }
    }

    @Test
    void resetReusesSlotsWithoutStaleBytes() {
        try (KernelArgs args = new KernelArgs()) {
            args.reset().i64(-1L);
            args.reset().i32(5);
            assertEquals(1, args.count());
            assertEquals(5L, args.slotBits(0), "the upper 4 bytes of a reused slot are cleared");
        }
    }

    @Test
    void tooManyArgumentsIsAnError() {
        try (KernelArgs args = new KernelArgs()) {
            for (int i = 0; i < KernelArgs.MAX_ARGS; i++) {
                args.i32(i);
            }
            assertThrows(FlashjException.class, () -> args.i32(0));
        }
    }
}
