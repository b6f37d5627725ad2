package dev.flashj.cuda.model;

import dev.flashj.cuda.kernels.DeviceWeight;
import dev.flashj.cuda.runtime.DeviceBuffer;

/** One transformer block's weights on the GPU (16-bit or kept quantized); the biases are null unless the model has Q/K/V biases. */
record LayerWeights(DeviceBuffer attentionNorm, DeviceWeight query, DeviceWeight key, DeviceWeight value,
                    DeviceBuffer queryBias, DeviceBuffer keyBias, DeviceBuffer valueBias, DeviceWeight attentionOutput,
                    DeviceBuffer ffnNorm, DeviceWeight gate, DeviceWeight up, DeviceWeight down) {
}
