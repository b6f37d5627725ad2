package dev.flashj.opencl.ops;

import dev.flashj.ops.AttentionOps;
import dev.flashj.ops.AttentionOpsContract;
import dev.flashj.opencl.OpenClTestSupport;
import dev.flashj.opencl.runtime.OpenCl;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenCL ops against the float64 references (the whole {@link AttentionOpsContract}); skipped
 * with the reason when no OpenCL platform is installed. Fewer random cases than the CPU run keep it
 * quick on PoCL.
 */
class ClAttentionOpsTest extends AttentionOpsContract {
    @Override
    protected AttentionOps openOps() {
        try (OpenCl probe = OpenClTestSupport.openOrSkip()) {
            return ClAttentionOps.open("opencl:" + probe.devices().getFirst().platformIndex() + ":"
                    + probe.devices().getFirst().deviceIndex());
        }
    }

    /** The engine finds these ops through the provider's service entry, without importing this module. */
    @Test
    void engineOpensOpenClOpsByDeviceName() {
        try (AttentionOps found = AttentionOps.open("opencl")) {
            assertTrue(found instanceof ClAttentionOps, found.getClass().getName());
            assertTrue(found.device().startsWith("opencl:"), found.device());
        }
    }

    @Override
    protected int cases() {
        return 6;
    }
}
