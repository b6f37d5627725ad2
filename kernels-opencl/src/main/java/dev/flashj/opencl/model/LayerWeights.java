package dev.flashj.opencl.model;

import dev.flashj.opencl.kernels.DeviceMatrix;
import dev.flashj.opencl.runtime.ClBuffer;

/** One transformer block's weights on the device; the biases are null unless the model has Q/K/V biases. */
record LayerWeights(ClBuffer attentionNorm, DeviceMatrix query, DeviceMatrix key, DeviceMatrix value,
                    ClBuffer queryBias, ClBuffer keyBias, ClBuffer valueBias, DeviceMatrix attentionOutput,
                    ClBuffer ffnNorm, DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down) {
}
