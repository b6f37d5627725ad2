package dev.flashj.sampling;

/**
 * Sorting of (value, token id) candidates packed into one {@code long}, so that ordering them needs
 * no objects and no allocation: the high 32 bits hold the float's bits remapped so that signed-int
 * order equals float order, the low 32 bits hold {@code Integer.MAX_VALUE - id} so that, for equal
 * values, the lower id comes first. Descending key order is "most likely first, lowest id on ties".
 */
final class CandidateOrder {
    private CandidateOrder() {
    }

    static long key(float value, int id) {
        int bits = Float.floatToRawIntBits(value);
        bits ^= (bits >> 31) & 0x7fffffff; // negative floats: flip magnitude bits so larger = less negative
        return ((long) bits << 32) | (Integer.MAX_VALUE - id);
    }

    static int id(long key) {
        return Integer.MAX_VALUE - (int) key;
    }

    static float value(long key) {
        int bits = (int) (key >> 32);
        bits ^= (bits >> 31) & 0x7fffffff;
        return Float.intBitsToFloat(bits);
    }

    /**
     * Leaves the {@code k} largest keys of {@code values[0..n)} (keyed with their index) in
     * {@code out[0..k)}, largest first. O(n log k).
     */
    static void selectTop(float[] values, int n, int k, long[] out) {
        for (int i = 0; i < k; i++) {
            out[i] = key(values[i], i);
        }
        buildMinHeap(out, k);
        for (int i = k; i < n; i++) {
            long candidate = key(values[i], i);
            if (candidate > out[0]) {
                out[0] = candidate;
                siftDown(out, 0, k);
            }
        }
        sortHeapDescending(out, k);
    }

    /** Sorts {@code keys[0..n)} largest first (in-place heapsort: no allocation). */
    static void sortDescending(long[] keys, int n) {
        buildMinHeap(keys, n);
        sortHeapDescending(keys, n);
    }

    private static void buildMinHeap(long[] heap, int n) {
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(heap, i, n);
        }
    }

    /** Repeatedly moves the minimum to the end of the shrinking heap: the array ends up descending. */
    private static void sortHeapDescending(long[] heap, int n) {
        for (int end = n - 1; end > 0; end--) {
            long min = heap[0];
            heap[0] = heap[end];
            heap[end] = min;
            siftDown(heap, 0, end);
        }
    }

    private static void siftDown(long[] heap, int i, int n) {
        long item = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= item) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = item;
    }
}
