package dev.flashj.model.cpu;

import dev.flashj.FlashjException;
import dev.flashj.cpu.CpuMatrix;
import dev.flashj.cpu.HugePageArena;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * All weights of a LLaMA-family model, bound by canonical name from a {@link ModelFile} and
 * checked against its {@link LlamaConfig}.
 *
 * @param tokenEmbedding read in place, one row per token
 * @param output the output head: {@code output.weight}, or the token embedding when the file has none and
 *               embeddings are tied
 */
public record LlamaWeights(Tensor tokenEmbedding, List<LayerWeights> layers, float[] outputNorm, CpuMatrix output) {

    public LlamaWeights {
        layers = List.copyOf(layers);
    }

    /**
     * Binds and shape-checks every weight of {@code file}; quantized matrices are not expanded, and
     * those with a faster repacked form ({@link CpuMatrix#prepare}) are copied into {@code arena},
     * which must outlive the weights.
     */
    public static LlamaWeights bind(ModelFile file, Arena arena) {
        return new Binder(file, arena).bind();
    }

    /**
     * Bytes of every matrix a decode step reads whole (the layers' and the output head) as the file
     * stores them; missing tensors count nothing ({@link #bind} reports them).
     */
    public static long matrixBytes(ModelFile file) {
        return matrices(file).stream().mapToLong(t -> t.data().byteSize()).sum();
    }

    /** Bytes of those matrices that {@link CpuMatrix#prepare} repacks on this CPU, as the file stores them. */
    public static long repackedBytes(ModelFile file) {
        return matrices(file).stream().filter(CpuMatrix::repacks).mapToLong(t -> t.data().byteSize()).sum();
    }

    private static List<Tensor> matrices(ModelFile file) {
        LlamaConfig c = file.config();
        List<String> names = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            names.addAll(List.of(LlamaTensorNames.query(l), LlamaTensorNames.key(l), LlamaTensorNames.value(l),
                    LlamaTensorNames.attentionOutput(l), LlamaTensorNames.ffnGate(l), LlamaTensorNames.ffnUp(l),
                    LlamaTensorNames.ffnDown(l)));
        }
        names.add(file.weight(LlamaTensorNames.OUTPUT).isPresent() ? LlamaTensorNames.OUTPUT : LlamaTensorNames.TOKEN_EMBEDDING);
        List<Tensor> tensors = new ArrayList<>();
        for (String name : names) {
            file.weight(name).ifPresent(tensors::add);
        }
        return tensors;
    }

    /**
     * These weights with every matrix still read in place from the file copied into {@code memory}
     * (repacked matrices are already copies, made in the arena {@link #bind} was given; with
     * {@code repackedSources} their file tensors, which prefill reads, are copied too). The token
     * embedding stays in place (one row of it is read per token).
     */
    public LlamaWeights withMatricesIn(HugePageArena memory, boolean repackedSources) {
        UnaryOperator<CpuMatrix> copy = m -> memory.residentCopy(m, repackedSources);
        List<LayerWeights> copied = new ArrayList<>(layers.size());
        for (LayerWeights l : layers) {
            copied.add(new LayerWeights(l.attentionNorm(), copy.apply(l.query()), copy.apply(l.key()),
                    copy.apply(l.value()), l.queryBias(), l.keyBias(), l.valueBias(),
                    copy.apply(l.attentionOutput()), l.ffnNorm(), copy.apply(l.ffnGate()),
                    copy.apply(l.ffnUp()), copy.apply(l.ffnDown())));
        }
        return new LlamaWeights(tokenEmbedding, copied, outputNorm, copy.apply(output));
    }

    private static final class Binder {
        private final ModelFile file;
        private final Arena arena;
        private final LlamaConfig c;

        Binder(ModelFile file, Arena arena) {
            this.file = file;
            this.arena = arena;
            this.c = file.config();
        }

        LlamaWeights bind() {
            Tensor embedding = tensor(LlamaTensorNames.TOKEN_EMBEDDING, c.vocabSize(), c.dim());
            List<LayerWeights> layers = new ArrayList<>(c.numLayers());
            for (int l = 0; l < c.numLayers(); l++) {
                layers.add(layer(l));
            }
            float[] outputNorm = vector(LlamaTensorNames.OUTPUT_NORM, c.dim());
            // A file may store the head even when tied (a copy): use it when it is there.
            Tensor output = file.weight(LlamaTensorNames.OUTPUT).isPresent()
                    ? tensor(LlamaTensorNames.OUTPUT, c.vocabSize(), c.dim())
                    : tiedOutput(embedding);
            return new LlamaWeights(embedding, layers, outputNorm, CpuMatrix.prepare(output, arena));
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

        private CpuMatrix matrix(String name, int rows, int cols) {
            return CpuMatrix.prepare(tensor(name, rows, cols), arena);
        }

        private Tensor tensor(String name, int rows, int cols) {
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
