package dev.flashj.opencl.ops;

import dev.flashj.ops.DeviceTensor;
import dev.flashj.opencl.runtime.ClBuffer;

/** A {@link DeviceTensor} in an OpenCL buffer of float32, owned by one {@link ClAttentionOps}. */
final class ClTensor implements DeviceTensor {
    private final int[] shape;
    private final String device;
    final ClAttentionOps owner;
    final ClBuffer buffer;

    ClTensor(ClAttentionOps owner, ClBuffer buffer, int[] shape) {
        this.owner = owner;
        this.buffer = buffer;
        this.device = owner.device();
        this.shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public String device() {
        return device;
    }

    @Override
    public void close() {
        buffer.close();
    }
}
