package dev.flashj.ops.cpu;

import dev.flashj.ops.AttentionOps;
import dev.flashj.ops.AttentionOpsContract;

/** The CPU ops against the float64 references (the whole {@link AttentionOpsContract}), on two threads. */
class CpuAttentionOpsTest extends AttentionOpsContract {
    @Override
    protected AttentionOps openOps() {
        return new CpuAttentionOps(2);
    }
}
