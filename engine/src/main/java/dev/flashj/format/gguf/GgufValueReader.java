package dev.flashj.format.gguf;

import java.util.function.Supplier;

/** Reads GGUF metadata values (scalars, strings and arrays, nested to a bounded depth) from a cursor. */
final class GgufValueReader {
    /** Deeper nesting than this is surely corrupt, and would otherwise risk a stack overflow. */
    static final int MAX_ARRAY_DEPTH = 16;

    private final GgufCursor cursor;

    GgufValueReader(GgufCursor cursor) {
        this.cursor = cursor;
    }

    /** A value type id (u32). */
    GgufValueType type(Supplier<String> field) {
        int id = cursor.i32(field);
        return GgufValueType.fromId(id).orElseThrow(() -> cursor.error(field, "unknown value type id " + Integer.toUnsignedString(id)));
    }

    /** One value of the given type, stored as described in {@link GgufMetadata}. */
    Object value(GgufValueType type, Supplier<String> field) {
        return value(type, field, 0);
    }

    private Object value(GgufValueType type, Supplier<String> field, int depth) {
        return switch (type) {
            case UINT8 -> (long) Byte.toUnsignedInt(cursor.i8(field));
            case INT8 -> (long) cursor.i8(field);
            case UINT16 -> (long) Short.toUnsignedInt(cursor.i16(field));
            case INT16 -> (long) cursor.i16(field);
            case UINT32 -> Integer.toUnsignedLong(cursor.i32(field));
            case INT32 -> (long) cursor.i32(field);
            case UINT64, INT64 -> cursor.i64(field);
            case FLOAT32 -> cursor.f32(field);
            case FLOAT64 -> cursor.f64(field);
            case BOOL -> cursor.i8(field) != 0;
            case STRING -> cursor.string(field);
            case ARRAY -> array(field, depth);
        };
    }

    private GgufArray array(Supplier<String> field, int depth) {
        if (depth >= MAX_ARRAY_DEPTH) {
            throw cursor.error(field, "arrays nested deeper than " + MAX_ARRAY_DEPTH + " levels");
        }
        GgufValueType elementType = type(() -> field.get() + " array element type");
        int n = cursor.count(() -> field.get() + " array length", minBytes(elementType));
        Object values = switch (elementType) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (Long) value(elementType, field, depth);
                }
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = cursor.f32(field);
                }
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = cursor.f64(field);
                }
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = cursor.i8(field) != 0;
                }
                yield a;
            }
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) {
                    int index = i;
                    a[i] = cursor.string(() -> field.get() + " element " + index);
                }
                yield a;
            }
            case ARRAY -> {
                GgufArray[] a = new GgufArray[n];
                for (int i = 0; i < n; i++) {
                    int index = i;
                    a[i] = array(() -> field.get() + " element " + index, depth + 1);
                }
                yield a;
            }
        };
        return new GgufArray(elementType, values);
    }

    /** The fewest bytes one value of a type takes on disk. */
    static long minBytes(GgufValueType type) {
        return switch (type) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64, STRING -> 8;
            case ARRAY -> 12;
        };
    }
}
