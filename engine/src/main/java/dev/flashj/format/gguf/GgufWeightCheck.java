package dev.flashj.format.gguf;

import dev.flashj.FlashjException;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.tensor.Tensor;

import java.util.Arrays;

/** Checks that a GGUF file holds every weight a {@link LlamaConfig} needs, each with the expected shape. */
final class GgufWeightCheck {
    private GgufWeightCheck() {
    }

    static void check(GgufFile gguf, LlamaConfig c) {
        long dim = c.dim();
        long vocab = c.vocabSize();
        require(gguf, LlamaTensorNames.TOKEN_EMBEDDING, vocab, dim);
        require(gguf, LlamaTensorNames.OUTPUT_NORM, dim);
        if (!c.tiedEmbeddings()) {
            require(gguf, LlamaTensorNames.OUTPUT, vocab, dim);
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            require(gguf, LlamaTensorNames.attentionNorm(layer), dim);
            require(gguf, LlamaTensorNames.query(layer), c.qDim(), dim);
            require(gguf, LlamaTensorNames.key(layer), c.kvDim(), dim);
            require(gguf, LlamaTensorNames.value(layer), c.kvDim(), dim);
            require(gguf, LlamaTensorNames.attentionOutput(layer), dim, c.qDim());
            if (c.attentionBias()) {
                require(gguf, LlamaTensorNames.queryBias(layer), c.qDim());
                require(gguf, LlamaTensorNames.keyBias(layer), c.kvDim());
                require(gguf, LlamaTensorNames.valueBias(layer), c.kvDim());
            }
            require(gguf, LlamaTensorNames.ffnNorm(layer), dim);
            require(gguf, LlamaTensorNames.ffnGate(layer), c.hiddenDim(), dim);
            require(gguf, LlamaTensorNames.ffnUp(layer), c.hiddenDim(), dim);
            require(gguf, LlamaTensorNames.ffnDown(layer), dim, c.hiddenDim());
        }
    }

    private static void require(GgufFile gguf, String name, long... shape) {
        Tensor t = gguf.tensor(name).orElseThrow(() ->
                FlashjException.badFile(gguf.path(), "tensor " + name, "missing"));
        if (!Arrays.equals(t.shape(), shape)) {
            throw FlashjException.badFile(gguf.path(), "tensor " + name, "shape " + Arrays.toString(t.shape())
                    + " (outermost first), expected " + Arrays.toString(shape) + " from the model's metadata");
        }
    }
}
