package dev.flashj.ops.cpu;

import dev.flashj.ops.DeviceTensor;

/** A {@link DeviceTensor} in a float array on the Java heap; closing it does nothing. */
final class CpuTensor implements DeviceTensor {
    static final String DEVICE = "cpu";

    private final int[] shape;
    final float[] data;

    CpuTensor(float[] data, int[] shape) {
        this.data = data;
        this.shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public String device() {
        return DEVICE;
    }

    @Override
    public void close() {
    }
}
