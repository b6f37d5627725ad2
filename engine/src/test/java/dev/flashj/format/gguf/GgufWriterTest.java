package dev.flashj.format.gguf;

import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Write → read round trips through {@link GgufWriter} and {@link GgufFile}. */
class GgufWriterTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsEveryValueTypeAndTensorType() {
        GgufWriter writer = new GgufWriter()
                .alignment(64)
                .put("u8", GgufValueType.UINT8, 255L)
                .put("i8", GgufValueType.INT8, -128L)
                .put("u16", GgufValueType.UINT16, 65535L)
                .put("i16", GgufValueType.INT16, -32768L)
                .putUInt32("u32", 0xFFFF_FFFFL)
                .putInt32("i32", Integer.MIN_VALUE)
                .putUInt64("u64", -1L) // 2^64-1 keeps its bit pattern
                .put("i64", GgufValueType.INT64, Long.MIN_VALUE)
                .putFloat32("f32", -1.5e-7f)
                .putFloat64("f64", Math.PI)
                .putBool("yes", true)
                .putBool("no", false)
                .putString("utf8", "héllo ▁ 世界 🙂")
                .putString("empty", "")
                .putArray("a.u8", new GgufArray(GgufValueType.UINT8, new long[]{0, 1, 255}))
                .putArray("a.i32", new GgufArray(GgufValueType.INT32, new long[]{-1, 7, Integer.MAX_VALUE}))
                .putArray("a.u64", new GgufArray(GgufValueType.UINT64, new long[]{-1L, 42}))
                .putArray("a.f32", new GgufArray(GgufValueType.FLOAT32, new float[]{1f, Float.NaN, -0f}))
                .putArray("a.f64", new GgufArray(GgufValueType.FLOAT64, new double[]{1e300, -2}))
                .putArray("a.bool", new GgufArray(GgufValueType.BOOL, new boolean[]{true, false, true}))
                .putArray("a.str", new GgufArray(GgufValueType.STRING, new String[]{"<s>", "", "▁the"}))
                .putArray("a.empty", new GgufArray(GgufValueType.INT64, new long[0]))
                .putArray("a.nested", new GgufArray(GgufValueType.ARRAY, new GgufArray[]{
                        new GgufArray(GgufValueType.STRING, new String[]{"x", "y"}),
                        new GgufArray(GgufValueType.ARRAY, new GgufArray[]{
                                new GgufArray(GgufValueType.INT16, new long[]{-3})})}));
        Random random = new Random(1);
        Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
        Map<String, byte[]> contents = new java.util.LinkedHashMap<>();
        int i = 0;
        for (TensorType type : TensorType.values()) {
            long[] shape = i % 2 == 0 ? new long[]{3, 2L * type.blockSize()} : new long[]{type.blockSize()};
            if (type == TensorType.F32) {
                shape = new long[]{2, 3, 5, 7};
            }
            long elements = java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            long cols = shape[shape.length - 1];
            byte[] bytes = new byte[(int) type.matrixBytes(elements / cols, cols)];
            random.nextBytes(bytes);
            String name = "t" + i++ + "." + type;
            writer.addTensor(name, type, shape, bytes);
            shapes.put(name, shape);
            contents.put(name, bytes);
        }
        Path file = dir.resolve("all.gguf");
        writer.write(file);

        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(3, gguf.version());
            assertEquals(64, gguf.alignment());
            GgufMetadata m = gguf.metadata();
            assertEquals(255L, m.getLong("u8"));
            assertEquals(-128L, m.getLong("i8"));
            assertEquals(65535L, m.getLong("u16"));
            assertEquals(-32768L, m.getLong("i16"));
            assertEquals(0xFFFF_FFFFL, m.getLong("u32"));
            assertEquals((long) Integer.MIN_VALUE, m.getLong("i32"));
            assertEquals(-1L, m.getLong("u64"));
            assertEquals(Long.MIN_VALUE, m.getLong("i64"));
            assertEquals(-1.5e-7f, m.get("f32").orElseThrow());
            assertEquals(Math.PI, m.get("f64").orElseThrow());
            assertEquals(true, m.getBool("yes"));
            assertEquals(false, m.getBool("no"));
            assertEquals("héllo ▁ 世界 🙂", m.getString("utf8"));
            assertEquals("", m.getString("empty"));
            assertEquals(GgufValueType.UINT8, m.type("u8").orElseThrow());
            assertEquals(GgufValueType.FLOAT64, m.type("f64").orElseThrow());
            assertArrayEquals(new long[]{0, 1, 255}, m.getIntegerArray("a.u8"));
            assertArrayEquals(new long[]{-1, 7, Integer.MAX_VALUE}, m.getIntegerArray("a.i32"));
            assertArrayEquals(new long[]{-1L, 42}, m.getIntegerArray("a.u64"));
            assertArrayEquals(new float[]{1f, Float.NaN, -0f}, (float[]) m.getArray("a.f32").values());
            assertArrayEquals(new double[]{1e300, -2}, (double[]) m.getArray("a.f64").values());
            assertArrayEquals(new boolean[]{true, false, true}, (boolean[]) m.getArray("a.bool").values());
            assertArrayEquals(new String[]{"<s>", "", "▁the"}, m.getStringArray("a.str"));
            assertEquals(0, m.getArray("a.empty").length());
            GgufArray[] nested = (GgufArray[]) m.getArray("a.nested").values();
            assertArrayEquals(new String[]{"x", "y"}, (String[]) nested[0].values());
            GgufArray inner = ((GgufArray[]) nested[1].values())[0];
            assertEquals(GgufValueType.INT16, inner.elementType());
            assertArrayEquals(new long[]{-3}, (long[]) inner.values());

            assertEquals(contents.size(), gguf.tensors().size());
            for (Tensor t : gguf.tensors()) {
                assertArrayEquals(shapes.get(t.name()), t.shape(), t.name());
                assertArrayEquals(contents.get(t.name()), t.data().toArray(ValueLayout.JAVA_BYTE), t.name());
                assertEquals(0, (t.data().address() - gguf.tensors().get(0).data().address()) % 64);
            }
        }
    }

    @Test
    void producedTensorsMatchSegmentTensorsAndKeepTheirOrder() {
        byte[] first = new byte[(int) TensorType.Q8_0.bytesFor(3 * 64)];
        new Random(7).nextBytes(first);
        byte[] third = new byte[4 * 5];
        new Random(8).nextBytes(third);
        int[] fills = new int[1];
        new GgufWriter()
                .addTensor("a", TensorType.Q8_0, new long[]{3, 64}, first)
                .addTensor("b", TensorType.F16, new long[]{2, 3}, target -> {
                    assertEquals(12, target.byteSize());
                    for (int i = 0; i < 6; i++) {
                        target.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, Float.floatToFloat16(i + 0.5f));
                    }
                    fills[0]++;
                })
                .addTensor("c", TensorType.F32, new long[]{5}, third)
                .write(dir.resolve("produced.gguf"));
        assertEquals(1, fills[0]);
        try (GgufFile gguf = GgufFile.open(dir.resolve("produced.gguf"))) {
            assertEquals(List.of("a", "b", "c"), gguf.tensors().stream().map(Tensor::name).toList());
            assertArrayEquals(first, gguf.tensors().get(0).data().toArray(ValueLayout.JAVA_BYTE));
            MemorySegment b = gguf.tensors().get(1).data();
            for (int i = 0; i < 6; i++) {
                assertEquals(i + 0.5f, Float.float16ToFloat(b.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i)));
            }
            assertArrayEquals(third, gguf.tensors().get(2).data().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void producedTensorWithABadShapeIsRejectedWhenAdded() {
        FlashjException e = assertThrows(FlashjException.class, () -> new GgufWriter()
                .addTensor("odd", TensorType.Q4_0, new long[]{2, 33}, target -> {
                }));
        assertTrue(e.getMessage().contains("odd") && e.getMessage().contains("block size 32"), e.getMessage());
    }

    @Test
    void rewritesStories260KIdentically() throws Exception {
        Path source = TestData.require("stories260K.gguf");
        Path copy = dir.resolve("copy.gguf");
        try (GgufFile original = GgufFile.open(source)) {
            GgufWriter writer = new GgufWriter().putAll(original.metadata());
            for (Tensor t : original.tensors()) {
                writer.addTensor(t.name(), t.type(), t.shape(), t.data());
            }
            writer.write(copy);
            try (GgufFile reread = GgufFile.open(copy)) {
                assertEquals(original.metadata().keys(), reread.metadata().keys());
                for (String key : original.metadata().keys()) {
                    assertEquals(original.metadata().type(key), reread.metadata().type(key), key);
                    assertValueEquals(original.metadata().get(key).orElseThrow(), reread.metadata().get(key).orElseThrow());
                }
                List<Tensor> a = original.tensors();
                List<Tensor> b = reread.tensors();
                assertEquals(a.size(), b.size());
                for (int i = 0; i < a.size(); i++) {
                    assertEquals(a.get(i).name(), b.get(i).name());
                    assertArrayEquals(a.get(i).shape(), b.get(i).shape());
                    assertEquals(-1, a.get(i).data().mismatch(b.get(i).data()), a.get(i).name());
                }
            }
        }
        // llama.cpp lays out the file the same way, so the copy is byte-identical.
        assertEquals(-1, Files.mismatch(source, copy));
    }

    @Test
    void rejectsInvalidInput() {
        GgufWriter writer = new GgufWriter();
        assertThrows(FlashjException.class, () -> writer.put("k", GgufValueType.UINT8, 256L));
        assertThrows(FlashjException.class, () -> writer.put("k", GgufValueType.STRING, 3L));
        assertThrows(FlashjException.class, () -> writer.putArray("k", new GgufArray(GgufValueType.FLOAT32, new long[]{1})));
        assertThrows(FlashjException.class, () -> writer.alignment(48));
        assertThrows(FlashjException.class, () -> writer.addTensor("t", TensorType.Q8_0, new long[]{2, 31}, new byte[62]));
        assertThrows(FlashjException.class, () -> writer.addTensor("t", TensorType.F32, new long[]{2, 3}, new byte[20]));
        assertThrows(FlashjException.class, () -> writer.addTensor("t", TensorType.F32, new long[]{1, 1, 1, 1, 1}, new byte[4]));
        writer.addTensor("t", TensorType.F32, new long[]{1}, MemorySegment.ofArray(new byte[4]));
        assertThrows(FlashjException.class, () -> writer.addTensor("t", TensorType.F32, new long[]{1}, new byte[4]));
    }

    static void assertValueEquals(Object expected, Object actual) {
        if (expected instanceof GgufArray a && actual instanceof GgufArray b) {
            assertEquals(a.elementType(), b.elementType());
            assertEquals(a.length(), b.length());
            switch (a.values()) {
                case long[] x -> assertArrayEquals(x, (long[]) b.values());
                case float[] x -> assertArrayEquals(x, (float[]) b.values());
                case double[] x -> assertArrayEquals(x, (double[]) b.values());
                case boolean[] x -> assertArrayEquals(x, (boolean[]) b.values());
                case String[] x -> assertArrayEquals(x, (String[]) b.values());
                case GgufArray[] x -> {
                    for (int i = 0; i < x.length; i++) {
                        assertValueEquals(x[i], ((GgufArray[]) b.values())[i]);
                    }
                }
                default -> throw new AssertionError(a.values().getClass());
            }
        } else {
            assertEquals(expected, actual);
        }
    }
}
