package dev.flashj.cuda.model;

import dev.flashj.FlashjException;
import dev.flashj.cuda.kernels.CudaOps;
import dev.flashj.cuda.kernels.CudaStorage;
import dev.flashj.cuda.kernels.DeviceMatrix;
import dev.flashj.cuda.kernels.DeviceWeight;
import dev.flashj.cuda.kernels.QuantizedMatrix;
import dev.flashj.cuda.runtime.CudaContext;
import dev.flashj.cuda.runtime.CudaDevice;
import dev.flashj.cuda.runtime.CudaStream;
import dev.flashj.cuda.runtime.DeviceBuffer;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A LLaMA model's weights on the GPU, uploaded once; owns (and frees) every buffer. */
final class CudaWeights implements AutoCloseable {
    final CudaStorage storage;
    final DeviceMatrix tokenEmbedding;
    final DeviceBuffer outputNorm;
    /** The output head: the token embedding itself when tied (or absent from the file). */
    final DeviceWeight output;
    final List<LayerWeights> layers;
    final long deviceBytes;
    /** Matrices the kernels read in their quantized form (the rest are 16-bit). */
    final int quantizedMatrices;
    private final List<DeviceBuffer> buffers;

    private CudaWeights(CudaStorage storage, DeviceMatrix tokenEmbedding, DeviceBuffer outputNorm, DeviceWeight output,
                        List<LayerWeights> layers, long deviceBytes, List<DeviceBuffer> buffers) {
        this.storage = storage;
        this.tokenEmbedding = tokenEmbedding;
        this.outputNorm = outputNorm;
        this.output = output;
        this.layers = layers;
        this.deviceBytes = deviceBytes;
        this.buffers = buffers;
        int quantized = output instanceof QuantizedMatrix ? 1 : 0;
        for (LayerWeights l : layers) {
            for (DeviceWeight w : List.of(l.query(), l.key(), l.value(), l.attentionOutput(), l.gate(), l.up(), l.down())) {
                quantized += w instanceof QuantizedMatrix ? 1 : 0;
            }
        }
        this.quantizedMatrices = quantized;
    }

    /**
     * Uploads every weight of {@code file}.
     *
     * @throws FlashjException when a weight is missing or misshapen, or the model does not fit the GPU
     */
    static CudaWeights upload(ModelFile file, CudaContext context, CudaStream stream) {
        LlamaConfig c = file.config();
        checkFits(file, context.device());
        List<DeviceBuffer> buffers = new ArrayList<>();
        Tensor embeddingTensor = file.weight(LlamaTensorNames.TOKEN_EMBEDDING)
                .orElseThrow(() -> FlashjException.badFile(file.path(), LlamaTensorNames.TOKEN_EMBEDDING, "weight missing"));
        CudaStorage storage = CudaWeightUploader.storageFor(embeddingTensor.type());
        try (CudaWeightUploader up = new CudaWeightUploader(file, context, stream, storage, buffers)) {
            DeviceMatrix embedding = up.matrix(embeddingTensor, c.vocabSize(), c.dim());
            DeviceBuffer outputNorm = up.vector(up.require(LlamaTensorNames.OUTPUT_NORM), c.dim());
            Optional<Tensor> outputTensor = c.tiedEmbeddings() ? Optional.empty() : file.weight(LlamaTensorNames.OUTPUT);
            DeviceWeight output = outputTensor.map(t -> up.weight(t, c.vocabSize(), c.dim())).orElse(embedding);
            List<LayerWeights> layers = new ArrayList<>();
            for (int l = 0; l < c.numLayers(); l++) {
                layers.add(new LayerWeights(
                        up.vector(up.require(LlamaTensorNames.attentionNorm(l)), c.dim()),
                        up.weight(up.require(LlamaTensorNames.query(l)), c.qDim(), c.dim()),
                        up.weight(up.require(LlamaTensorNames.key(l)), c.kvDim(), c.dim()),
                        up.weight(up.require(LlamaTensorNames.value(l)), c.kvDim(), c.dim()),
                        c.attentionBias() ? up.vector(up.require(LlamaTensorNames.queryBias(l)), c.qDim()) : null,
                        c.attentionBias() ? up.vector(up.require(LlamaTensorNames.keyBias(l)), c.kvDim()) : null,
                        c.attentionBias() ? up.vector(up.require(LlamaTensorNames.valueBias(l)), c.kvDim()) : null,
                        up.weight(up.require(LlamaTensorNames.attentionOutput(l)), c.dim(), c.qDim()),
                        up.vector(up.require(LlamaTensorNames.ffnNorm(l)), c.dim()),
                        up.weight(up.require(LlamaTensorNames.ffnGate(l)), c.hiddenDim(), c.dim()),
                        up.weight(up.require(LlamaTensorNames.ffnUp(l)), c.hiddenDim(), c.dim()),
                        up.weight(up.require(LlamaTensorNames.ffnDown(l)), c.dim(), c.hiddenDim())));
            }
            stream.synchronize();
            long used = buffers.stream().mapToLong(DeviceBuffer::byteSize).sum();
            return new CudaWeights(storage, embedding, outputNorm, output, List.copyOf(layers), used, buffers);
        } catch (RuntimeException e) {
            buffers.forEach(DeviceBuffer::close);
            throw e;
        }
    }

    /** fp16 bytes of the largest quantized layer matrix: the prefill scratch a session needs (0 when none is). */
    long largestQuantizedLayerMatrixBytes() {
        long largest = 0;
        for (LayerWeights l : layers) {
            for (DeviceWeight w : List.of(l.query(), l.key(), l.value(), l.attentionOutput(), l.gate(), l.up(), l.down())) {
                largest = Math.max(largest, CudaOps.dequantizeScratchBytes(w));
            }
        }
        return largest;
    }

    /** Fails with a clear message when the weights cannot fit the GPU's memory. */
    static void checkFits(ModelFile file, CudaDevice device) {
        long bytes = 0;
        CudaStorage storage = file.weight(LlamaTensorNames.TOKEN_EMBEDDING)
                .map(t -> CudaWeightUploader.storageFor(t.type())).orElse(CudaStorage.F16);
        for (Tensor t : file.tensors()) {
            bytes += CudaWeightUploader.deviceBytes(t, storage);
        }
        if (bytes > device.totalMemoryBytes()) {
            throw new FlashjException(file.path() + ": the model needs " + bytes + " bytes of weights on the GPU"
                    + " (fp16/bf16, or quantized where the kernels read the type), more than the " + device.totalMemoryBytes() + " bytes of " + device.describe()
                    + "; use a smaller model or the CPU backend");
        }
    }

    @Override
    public void close() {
        buffers.forEach(DeviceBuffer::close);
        buffers.clear();
    }
}
