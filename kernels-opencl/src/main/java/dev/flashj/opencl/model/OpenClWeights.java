package dev.flashj.opencl.model;

import dev.flashj.FlashjException;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.opencl.kernels.DeviceMatrix;
import dev.flashj.opencl.runtime.ClBuffer;
import dev.flashj.opencl.runtime.ClContext;
import dev.flashj.opencl.runtime.ClDevice;
import dev.flashj.opencl.runtime.ClQueue;
import dev.flashj.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A LLaMA model's weights in device buffers, uploaded once; owns (and closes) every buffer. */
final class OpenClWeights implements AutoCloseable {
    final DeviceMatrix tokenEmbedding;
    final ClBuffer outputNorm;
    /** The output head: the token embedding itself when tied (or absent from the file). */
    final DeviceMatrix output;
    final List<LayerWeights> layers;
    final long deviceBytes;
    private final List<ClBuffer> buffers;

    private OpenClWeights(DeviceMatrix tokenEmbedding, ClBuffer outputNorm, DeviceMatrix output, List<LayerWeights> layers,
                          long deviceBytes, List<ClBuffer> buffers) {
        this.tokenEmbedding = tokenEmbedding;
        this.outputNorm = outputNorm;
        this.output = output;
        this.layers = layers;
        this.deviceBytes = deviceBytes;
        this.buffers = buffers;
    }

    /**
     * Uploads every weight of {@code file}.
     *
     * @throws FlashjException when a weight is missing or misshapen, or the model does not fit the device
     */
    static OpenClWeights upload(ModelFile file, ClContext context, ClQueue queue) {
        LlamaConfig c = file.config();
        ClDevice device = context.device();
        checkFits(file.path(), totalDeviceBytes(file), device);
        List<ClBuffer> buffers = new ArrayList<>();
        try {
            WeightUploader up = new WeightUploader(file, context, queue, buffers);
            DeviceMatrix embedding = up.matrix(up.require(LlamaTensorNames.TOKEN_EMBEDDING), c.vocabSize(), c.dim());
            ClBuffer outputNorm = up.vector(up.require(LlamaTensorNames.OUTPUT_NORM), c.dim());
            Optional<Tensor> outputTensor = c.tiedEmbeddings() ? Optional.empty() : file.weight(LlamaTensorNames.OUTPUT);
            DeviceMatrix output = outputTensor.map(t -> up.matrix(t, c.vocabSize(), c.dim())).orElse(embedding);
            List<LayerWeights> layers = new ArrayList<>();
            for (int l = 0; l < c.numLayers(); l++) {
                layers.add(new LayerWeights(
                        up.vector(up.require(LlamaTensorNames.attentionNorm(l)), c.dim()),
                        up.matrix(up.require(LlamaTensorNames.query(l)), c.qDim(), c.dim()),
                        up.matrix(up.require(LlamaTensorNames.key(l)), c.kvDim(), c.dim()),
                        up.matrix(up.require(LlamaTensorNames.value(l)), c.kvDim(), c.dim()),
                        c.attentionBias() ? up.vector(up.require(LlamaTensorNames.queryBias(l)), c.qDim()) : null,
                        c.attentionBias() ? up.vector(up.require(LlamaTensorNames.keyBias(l)), c.kvDim()) : null,
                        c.attentionBias() ? up.vector(up.require(LlamaTensorNames.valueBias(l)), c.kvDim()) : null,
                        up.matrix(up.require(LlamaTensorNames.attentionOutput(l)), c.dim(), c.qDim()),
                        up.vector(up.require(LlamaTensorNames.ffnNorm(l)), c.dim()),
                        up.matrix(up.require(LlamaTensorNames.ffnGate(l)), c.hiddenDim(), c.dim()),
                        up.matrix(up.require(LlamaTensorNames.ffnUp(l)), c.hiddenDim(), c.dim()),
                        up.matrix(up.require(LlamaTensorNames.ffnDown(l)), c.dim(), c.hiddenDim())));
            }
            queue.finish();
            long used = buffers.stream().mapToLong(ClBuffer::byteSize).sum();
            return new OpenClWeights(embedding, outputNorm, output, List.copyOf(layers), used, buffers);
        } catch (RuntimeException e) {
            buffers.forEach(ClBuffer::close);
            throw e;
        }
    }

    /** Fails with a clear message when {@code bytes} of weights cannot fit the device's global memory. */
    static void checkFits(java.nio.file.Path model, long bytes, ClDevice device) {
        if (bytes > device.globalMemSize()) {
            throw new FlashjException(model + ": the model needs " + bytes + " bytes of weights on the device"
                    + ", more than the " + device.globalMemSize() + " bytes of global memory of "
                    + device.describe() + "; use a smaller model or the CPU backend");
        }
    }

    /** Bytes the weights take on the device: matrices as {@link WeightUploader#deviceBytes}, vectors as f32. */
    static long totalDeviceBytes(ModelFile file) {
        long total = 0;
        for (Tensor t : file.tensors()) {
            total += t.rank() >= 2 ? WeightUploader.deviceBytes(t) : 4 * t.numElements();
        }
        return total;
    }

    @Override
    public void close() {
        buffers.forEach(ClBuffer::close);
        buffers.clear();
    }
}
