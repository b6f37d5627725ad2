package dev.flashj.cuda.model;

import dev.flashj.cuda.kernels.DeviceMatrix;
import dev.flashj.cuda.runtime.DeviceBuffer;

/** One transformer block's weights on the GPU; the biases are null unless the model has Q/K/V biases. */
record LayerWeights(DeviceBuffer attentionNorm, DeviceMatrix query, DeviceMatrix key, DeviceMatrix value,
                    DeviceBuffer queryBias, DeviceBuffer keyBias, DeviceBuffer valueBias, DeviceMatrix attentionOutput,
                    DeviceBuffer ffnNorm, DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down) {
}
