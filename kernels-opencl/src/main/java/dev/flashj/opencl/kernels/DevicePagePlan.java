package dev.flashj.opencl.kernels;

import dev.flashj.kv.PagePlan;
import dev.flashj.opencl.runtime.ClBuffer;

/**
 * A {@link PagePlan} packed into an int buffer from {@code base}: {@code [qoIndptr (batch+1) | indptr
 * (batch+1) | lastPageLen (batch) | indices]}, as the paged kernels read it, with the sizes the host
 * needs to launch them.
 *
 * @param ints       the buffer holding the packed plan
 * @param maxQueries the most query rows of any sequence
 * @param maxKvLen   the most KV entries of any sequence
 */
public record DevicePagePlan(ClBuffer ints, int base, int batch, int pageSize, int totalQueries, int maxQueries,
                             int maxKvLen) {

    /** Ints {@link #pack} writes for {@code plan}. */
    public static int packedLength(PagePlan plan) {
        return 3 * plan.batchSize() + 2 + plan.indptr()[plan.batchSize()];
    }

    /** Packs {@code plan} into {@code out[base ..]}, to be uploaded to {@code ints} before a kernel reads it. */
    public static DevicePagePlan pack(PagePlan plan, int[] out, int base, ClBuffer ints) {
        int batch = plan.batchSize();
        int at = base;
        System.arraycopy(plan.qoIndptr(), 0, out, at, batch + 1);
        at += batch + 1;
        System.arraycopy(plan.indptr(), 0, out, at, batch + 1);
        at += batch + 1;
        System.arraycopy(plan.lastPageLen(), 0, out, at, batch);
        at += batch;
        System.arraycopy(plan.indices(), 0, out, at, plan.indptr()[batch]);
        int maxQueries = 0;
        int maxKv = 0;
        for (int s = 0; s < batch; s++) {
            maxQueries = Math.max(maxQueries, plan.queries(s));
            maxKv = Math.max(maxKv, plan.kvLength(s));
        }
        return new DevicePagePlan(ints, base, batch, plan.pageSize(), plan.totalQueries(), maxQueries, maxKv);
    }

    int qoOffset() {
        return base;
    }

    int indptrOffset() {
        return base + batch + 1;
    }

    int lastPageLenOffset() {
        return base + 2 * (batch + 1);
    }

    int indicesOffset() {
        return base + 3 * batch + 2;
    }
}
