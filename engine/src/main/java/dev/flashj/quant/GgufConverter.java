package dev.flashj.quant;

import dev.flashj.FlashjException;
import dev.flashj.format.gguf.GgufArray;
import dev.flashj.format.gguf.GgufModelFile;
import dev.flashj.format.gguf.GgufValueType;
import dev.flashj.format.gguf.GgufWriter;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import dev.flashj.tokenizer.GgufTokenizerExport;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Converts an opened model (GGUF, Hugging Face directory, llama2.c checkpoint) into a GGUF file with
 * its matrices quantized as a {@link QuantType} says. A GGUF source keeps its metadata and tensor
 * names; other sources get llama.cpp's keys and canonical names, their tokenizer in
 * {@code tokenizer.ggml.*}, and — for Hugging Face's rotate-half Q/K rows — the rows permuted back to
 * the interleaved order GGUF llama files use. The file is written under a temporary name next to the
 * target and renamed at the end, so an interrupted run leaves no half-written output.
 */
public final class GgufConverter {
    /** GGML's quantization version, which llama.cpp checks. */
    private static final int QUANTIZATION_VERSION = 2;

    private GgufConverter() {
    }

    /** What was written: the tensor count per type and the file size. */
    public record Result(Path output, Map<TensorType, Integer> tensorsByType, long bytes) {
    }

    private record Source(String name, Tensor tensor, int permuteHeads) {
    }

    public static Result convert(ModelFile in, QuantType type, Path output, ConversionProgress progress) {
        return convert(in, type, Optional.empty(), output, progress);
    }

    /**
     * With a calibration text, INT4 types are smoothed and importance-weighted ({@link SmoothingPlan});
     * other types ignore it.
     */
    public static Result convert(ModelFile in, QuantType type, Optional<String> calibration, Path output,
                                 ConversionProgress progress) {
        Optional<SmoothingPlan> smoothing = calibration.isPresent() && type.matrixType().isFlashjFormat()
                && type != QuantType.FP8
                ? Optional.of(SmoothingPlan.create(in, CalibrationRun.collect(in, calibration.get())))
                : Optional.empty();
        GgufWriter writer = new GgufWriter();
        List<Source> sources = new ArrayList<>();
        if (in instanceof GgufModelFile gguf) {
            writer.putAll(gguf.gguf().metadata());
            for (Tensor t : in.tensors()) {
                sources.add(new Source(t.name(), t, 0));
            }
        } else {
            putModelMetadata(writer, in);
            GgufTokenizerExport.write(in.tokenizer(), writer);
            sources.addAll(canonicalSources(in));
        }
        Map<TensorType, Integer> counts = new EnumMap<>(TensorType.class);
        for (int i = 0; i < sources.size(); i++) {
            Source s = sources.get(i);
            long[] shape = s.tensor().shape();
            long cols = s.tensor().cols();
            long rows = s.tensor().rows();
            if (rows * cols > Integer.MAX_VALUE - 8) {
                throw new FlashjException(in.path() + ": tensor " + s.name() + " " + s.tensor() + " is too large to convert"
                        + " in one piece");
            }
            float[] values = Dequantizer.toFloats(s.tensor());
            if (s.permuteHeads() > 0) {
                values = shape.length == 1
                        ? interleaveRotaryPairs(values, s.permuteHeads(), (int) cols, 1)
                        : interleaveRotaryPairs(values, s.permuteHeads(), (int) rows, (int) cols);
            }
            if (smoothing.isPresent()) {
                smoothing.get().transform(s.name(), values, (int) rows, (int) cols);
            }
            TensorType target = type.typeFor(s.name(), shape.length, cols);
            double[] importance = smoothing.flatMap(p -> p.importance(s.name())).orElse(null);
            byte[] bytes = WeightQuantizer.quantize(target, values, (int) rows, (int) cols, importance);
            writer.addTensor(s.name(), target, shape, bytes);
            counts.merge(target, 1, Integer::sum);
            progress.tensorDone(i + 1, sources.size(), s.name());
        }
        putQuantizationMetadata(writer, type, counts);
        if (smoothing.isPresent()) {
            writer.putString("flashj.quantize.calibration", "smoothquant+ alpha=" + SmoothingPlan.ALPHA
                    + ", activation-weighted INT4");
        }
        return new Result(output, counts, writeAtomically(writer, output));
    }

    private static void putQuantizationMetadata(GgufWriter writer, QuantType type, Map<TensorType, Integer> counts) {
        writer.remove("general.file_type");
        type.llamaFileType().ifPresent(ft -> writer.putUInt32("general.file_type", ft));
        writer.putUInt32("general.quantization_version", QUANTIZATION_VERSION);
        writer.putString("flashj.quantize.type", type.cliName());
        List<String> names = counts.keySet().stream().filter(TensorType::isFlashjFormat)
                .map(t -> t.ggmlId() + "=" + t.displayName()).toList();
        writer.remove("flashj.tensor_types");
        if (!names.isEmpty()) {
            // Readers other than FlashJ see unknown type ids; this says what they are.
            writer.putArray("flashj.tensor_types", new GgufArray(GgufValueType.STRING, names.toArray(String[]::new)));
        }
    }

    private static long writeAtomically(GgufWriter writer, Path output) {
        Path target = output.toAbsolutePath();
        Path temp = target.resolveSibling(target.getFileName() + ".partial-" + ProcessHandle.current().pid());
        // Ctrl-C ends the JVM without running finally blocks: a hook removes the partial file then.
        Thread cleanup = new Thread(() -> deleteQuietly(temp), "flashj-quantize-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            writer.write(temp);
            try {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return Files.size(target);
        } catch (IOException e) {
            throw new FlashjException(target + ": cannot write: " + e.getMessage(), e);
        } finally {
            deleteQuietly(temp);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run; it deletes the same file
            }
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // nothing more to do: the file is gone or cannot be removed
        }
    }

    /** llama.cpp's hyper-parameter keys for a model from a non-GGUF source. */
    private static void putModelMetadata(GgufWriter w, ModelFile in) {
        String arch = ggufArchitecture(in);
        LlamaConfig c = in.config();
        w.putString("general.architecture", arch);
        w.putString("general.name", in.path().getFileName().toString());
        w.putUInt32(arch + ".context_length", c.contextLength());
        w.putUInt32(arch + ".embedding_length", c.dim());
        w.putUInt32(arch + ".block_count", c.numLayers());
        w.putUInt32(arch + ".feed_forward_length", c.hiddenDim());
        w.putUInt32(arch + ".attention.head_count", c.numHeads());
        w.putUInt32(arch + ".attention.head_count_kv", c.numKvHeads());
        if (c.headDim() * c.numHeads() != c.dim()) {
            w.putUInt32(arch + ".attention.key_length", c.headDim());
            w.putUInt32(arch + ".attention.value_length", c.headDim());
        }
        w.putUInt32(arch + ".rope.dimension_count", c.rope().rotaryDims());
        w.putFloat32(arch + ".rope.freq_base", c.rope().theta());
        w.putFloat32(arch + ".attention.layer_norm_rms_epsilon", c.rmsNormEps());
        w.putUInt32(arch + ".vocab_size", c.vocabSize());
        switch (c.rope().scaling()) {
            case RopeScaling.None none -> {
            }
            case RopeScaling.Linear linear -> {
                w.putString(arch + ".rope.scaling.type", "linear");
                w.putFloat32(arch + ".rope.scaling.factor", linear.factor());
            }
            case RopeScaling.Llama3 llama3 -> throw new FlashjException(in.path() + ": LLaMA 3.1 RoPE scaling cannot be"
                    + " written to GGUF yet (llama.cpp stores it as a rope_freqs tensor)");
        }
    }

    /** llama.cpp writes Mistral checkpoints as "llama" (same tensors and keys). */
    private static String ggufArchitecture(ModelFile in) {
        return in.architecture().equals("mistral") ? "llama" : in.architecture();
    }

    /** The weights under canonical names, in llama.cpp's order; Q/K rows re-interleaved for rotate-half sources. */
    private static List<Source> canonicalSources(ModelFile in) {
        LlamaConfig c = in.config();
        boolean reinterleave = c.rope().style() == RopeStyle.HALF && !in.architecture().equals("qwen2");
        if (reinterleave && c.rope().rotaryDims() != c.headDim()) {
            throw new FlashjException(in.path() + ": partial rotary embeddings (" + c.rope().rotaryDims() + " of "
                    + c.headDim() + ") cannot be re-ordered for GGUF");
        }
        List<Source> sources = new ArrayList<>();
        add(sources, in, LlamaTensorNames.TOKEN_EMBEDDING, 0, true);
        for (int l = 0; l < c.numLayers(); l++) {
            add(sources, in, LlamaTensorNames.attentionNorm(l), 0, true);
            add(sources, in, LlamaTensorNames.query(l), reinterleave ? c.numHeads() : 0, true);
            add(sources, in, LlamaTensorNames.key(l), reinterleave ? c.numKvHeads() : 0, true);
            add(sources, in, LlamaTensorNames.value(l), 0, true);
            add(sources, in, LlamaTensorNames.queryBias(l), reinterleave ? c.numHeads() : 0, false);
            add(sources, in, LlamaTensorNames.keyBias(l), reinterleave ? c.numKvHeads() : 0, false);
            add(sources, in, LlamaTensorNames.valueBias(l), 0, false);
            add(sources, in, LlamaTensorNames.attentionOutput(l), 0, true);
            add(sources, in, LlamaTensorNames.ffnNorm(l), 0, true);
            add(sources, in, LlamaTensorNames.ffnGate(l), 0, true);
            add(sources, in, LlamaTensorNames.ffnUp(l), 0, true);
            add(sources, in, LlamaTensorNames.ffnDown(l), 0, true);
        }
        add(sources, in, LlamaTensorNames.OUTPUT_NORM, 0, true);
        add(sources, in, LlamaTensorNames.OUTPUT, 0, !c.tiedEmbeddings());
        return sources;
    }

    private static void add(List<Source> sources, ModelFile in, String name, int permuteHeads, boolean required) {
        Optional<Tensor> t = in.weight(name);
        if (t.isPresent()) {
            sources.add(new Source(name, t.get(), permuteHeads));
        } else if (required) {
            throw new FlashjException(in.path() + ": weight " + name + " is missing");
        }
    }

    /**
     * Hugging Face stores each head's rows as [first halves of the rotary pairs, second halves];
     * GGUF llama wants the pairs adjacent: row {@code 2i + t} of a head = HF row {@code t * d/2 + i}.
     * Works for matrices and (with cols = 1) bias vectors.
     */
    static float[] interleaveRotaryPairs(float[] values, int heads, int rows, int cols) {
        if (rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new IllegalArgumentException(rows + " rows do not split into " + heads + " heads of even size");
        }
        int headDim = rows / heads;
        float[] out = new float[values.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < headDim / 2; i++) {
                for (int t = 0; t < 2; t++) {
                    int from = h * headDim + t * (headDim / 2) + i;
                    int to = h * headDim + 2 * i + t;
                    System.arraycopy(values, from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }
}
