package dev.flashj.model.cpu;

import dev.flashj.FlashjException;
import dev.flashj.cpu.HugePageArena;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * All weights of a LLaMA-family model, bound by canonical name from a {@link ModelFile} and
 * checked against its {@link LlamaConfig}.
 *
 * @param output the output head: {@code output.weight}, or the token embedding when the file has none and
 *               embeddings are tied
 */
public record LlamaWeights(Tensor tokenEmbedding, List<LayerWeights> layers, float[] outputNorm, Tensor output) {

    public LlamaWeights {
        layers = List.copyOf(layers);
    }

    /**
     * These weights with every matrix a matmul reads whole (the layers' and the output head) copied
     * into huge pages, or these weights unchanged when the OS offers no huge pages. The token
     * embedding stays in place unless it doubles as the output head (one row of it is read per token).
     * The copies live as long as the returned arena, which the caller closes.
     */
    public static Placed inHugePages(LlamaWeights weights) {
        List<Tensor> matrices = weights.streamedMatrices();
        long[] sizes = matrices.stream().mapToLong(t -> t.data().byteSize()).toArray();
        Optional<HugePageArena> opened = HugePageArena.open(HugePageArena.bytesFor(sizes));
        if (opened.isEmpty()) {
            return new Placed(weights, Optional.empty());
        }
        HugePageArena arena = opened.get();
        try {
            Map<Tensor, Tensor> copies = new IdentityHashMap<>();
            for (Tensor t : matrices) {
                copies.computeIfAbsent(t, m -> new Tensor(m.name(), m.type(), m.shape(), arena.copyOf(m.data())));
            }
            List<LayerWeights> layers = new ArrayList<>(weights.layers().size());
            for (LayerWeights l : weights.layers()) {
                layers.add(new LayerWeights(l.attentionNorm(), copies.get(l.query()), copies.get(l.key()),
                        copies.get(l.value()), l.queryBias(), l.keyBias(), l.valueBias(),
                        copies.get(l.attentionOutput()), l.ffnNorm(), copies.get(l.ffnGate()),
                        copies.get(l.ffnUp()), copies.get(l.ffnDown())));
            }
            Tensor output = copies.get(weights.output());
            Tensor embedding = weights.tokenEmbedding() == weights.output() ? output : weights.tokenEmbedding();
            return new Placed(new LlamaWeights(embedding, layers, weights.outputNorm(), output), opened);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Weights and the huge-page arena holding their matrices (empty: they are read from the file). */
    public record Placed(LlamaWeights weights, Optional<HugePageArena> arena) {
    }

    /** Every distinct matrix a decode step reads whole, in forward order. */
    private List<Tensor> streamedMatrices() {
        List<Tensor> matrices = new ArrayList<>();
        for (LayerWeights l : layers) {
            matrices.addAll(List.of(l.query(), l.key(), l.value(), l.attentionOutput(), l.ffnGate(), l.ffnUp(), l.ffnDown()));
        }
        matrices.add(output);
        return matrices.stream().distinct().toList();
    }

    /** Binds and shape-checks every weight of {@code file}; quantized matrices are not expanded. */
    public static LlamaWeights bind(ModelFile file) {
        return new Binder(file).bind();
    }

    private static final class Binder {
        private final ModelFile file;
        private final LlamaConfig c;

        Binder(ModelFile file) {
            this.file = file;
            this.c = file.config();
        }

        LlamaWeights bind() {
            Tensor embedding = matrix(LlamaTensorNames.TOKEN_EMBEDDING, c.vocabSize(), c.dim());
            List<LayerWeights> layers = new ArrayList<>(c.numLayers());
            for (int l = 0; l < c.numLayers(); l++) {
                layers.add(layer(l));
            }
            float[] outputNorm = vector(LlamaTensorNames.OUTPUT_NORM, c.dim());
            // A file may store the head even when tied (a copy): use it when it is there.
            Tensor output = file.weight(LlamaTensorNames.OUTPUT).isPresent()
                    ? matrix(LlamaTensorNames.OUTPUT, c.vocabSize(), c.dim())
                    : tiedOutput(embedding);
            return new LlamaWeights(embedding, layers, outputNorm, output);
        }

        private Tensor tiedOutput(Tensor embedding) {
            if (!c.tiedEmbeddings()) {
                throw FlashjException.badFile(file.path(), LlamaTensorNames.OUTPUT,
                        "missing (and the config does not tie the output head to the token embedding)");
            }
            return embedding;
        }

        private LayerWeights layer(int l) {
            int dim = c.dim();
            boolean bias = c.attentionBias();
            return new LayerWeights(
                    vector(LlamaTensorNames.attentionNorm(l), dim),
                    matrix(LlamaTensorNames.query(l), c.qDim(), dim),
                    matrix(LlamaTensorNames.key(l), c.kvDim(), dim),
                    matrix(LlamaTensorNames.value(l), c.kvDim(), dim),
                    bias ? vector(LlamaTensorNames.queryBias(l), c.qDim()) : null,
                    bias ? vector(LlamaTensorNames.keyBias(l), c.kvDim()) : null,
                    bias ? vector(LlamaTensorNames.valueBias(l), c.kvDim()) : null,
                    matrix(LlamaTensorNames.attentionOutput(l), dim, c.qDim()),
                    vector(LlamaTensorNames.ffnNorm(l), dim),
                    matrix(LlamaTensorNames.ffnGate(l), c.hiddenDim(), dim),
                    matrix(LlamaTensorNames.ffnUp(l), c.hiddenDim(), dim),
                    matrix(LlamaTensorNames.ffnDown(l), dim, c.hiddenDim()));
        }

        private Tensor require(String name) {
            return file.weight(name).orElseThrow(() -> FlashjException.badFile(file.path(), name, "missing"));
        }

        private Tensor matrix(String name, int rows, int cols) {
            Tensor t = require(name);
            if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
                throw FlashjException.badFile(file.path(), name, "shape " + Arrays.toString(t.shape())
                        + ", expected [" + rows + ", " + cols + "] from the model config");
            }
            if (cols % t.type().blockSize() != 0) {
                throw FlashjException.badFile(file.path(), name, t.type() + " rows of " + cols
                        + " elements are not whole blocks of " + t.type().blockSize());
            }
            return t;
        }

        private float[] vector(String name, int n) {
            Tensor t = require(name);
            if (t.numElements() != n || t.cols() != n) {
                throw FlashjException.badFile(file.path(), name, "shape " + Arrays.toString(t.shape())
                        + ", expected [" + n + "] from the model config");
            }
            float[] values = new float[n];
            Dequantizer.dequantize(t, 0, values, 0, n);
            return values;
        }
    }
}
