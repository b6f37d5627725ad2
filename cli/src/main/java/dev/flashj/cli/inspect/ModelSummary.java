package dev.flashj.cli.inspect;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.ModelFile;
import dev.flashj.model.RopeConfig;
import dev.flashj.model.RopeScaling;
import dev.flashj.tensor.Tensor;
import dev.flashj.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code flashj inspect} prints about one model, copied out of the open {@link ModelFile}
 * (so it stays valid after the file is closed). Serialised as-is for {@code --json}.
 *
 * @param path         the file or directory opened
 * @param format       the {@link dev.flashj.model.ModelFormat} name
 * @param architecture e.g. "llama"
 * @param config       every {@link LlamaConfig} hyper-parameter, in declaration order (RoPE nested)
 * @param tokenizer    the tokenizer's summary
 * @param metadata     format-specific key/values, long arrays summarised (see {@link MetadataValues})
 * @param tensors      every tensor in file order, or null when not requested
 * @param totals       counts and byte sizes over all tensors
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelSummary(
        String path,
        String format,
        String architecture,
        Map<String, Object> config,
        TokenizerSummary tokenizer,
        Map<String, Object> metadata,
        List<TensorSummary> tensors,
        TensorTotals totals) {

    /** The tokenizer as described by the model: its one-line description and special ids. */
    public record TokenizerSummary(String description, int vocabSize, int bosId, int eosId, boolean addBos) {

        static TokenizerSummary of(Tokenizer tokenizer) {
            return new TokenizerSummary(tokenizer.describe(), tokenizer.vocabSize(), tokenizer.bosId(),
                    tokenizer.eosId(), tokenizer.addBosByDefault());
        }
    }

    /** Summarises {@code model}; with {@code includeTensors} false only the totals of the tensors are kept. */
    public static ModelSummary of(ModelFile model, boolean includeTensors) {
        List<TensorSummary> tensorList = new ArrayList<>();
        for (Tensor t : model.tensors()) {
            tensorList.add(TensorSummary.of(t));
        }
        return new ModelSummary(
                model.path().toString(),
                model.format().name(),
                model.architecture(),
                configMap(model.config()),
                TokenizerSummary.of(model.tokenizer()),
                MetadataValues.summarise(model.metadata()),
                includeTensors ? List.copyOf(tensorList) : null,
                TensorTotals.of(tensorList));
    }

    static Map<String, Object> configMap(LlamaConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dim", c.dim());
        m.put("hiddenDim", c.hiddenDim());
        m.put("numLayers", c.numLayers());
        m.put("numHeads", c.numHeads());
        m.put("numKvHeads", c.numKvHeads());
        m.put("headDim", c.headDim());
        m.put("qDim", c.qDim());
        m.put("kvDim", c.kvDim());
        m.put("vocabSize", c.vocabSize());
        m.put("contextLength", c.contextLength());
        m.put("rmsNormEps", c.rmsNormEps());
        m.put("rope", ropeMap(c.rope()));
        m.put("tiedEmbeddings", c.tiedEmbeddings());
        m.put("attentionBias", c.attentionBias());
        return m;
    }

    private static Map<String, Object> ropeMap(RopeConfig rope) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("theta", rope.theta());
        m.put("style", rope.style().name());
        m.put("rotaryDims", rope.rotaryDims());
        m.put("scaling", scalingMap(rope.scaling()));
        return m;
    }

    private static Map<String, Object> scalingMap(RopeScaling scaling) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (scaling) {
            case RopeScaling.None() -> m.put("type", "none");
            case RopeScaling.Linear(float factor) -> {
                m.put("type", "linear");
                m.put("factor", factor);
            }
            case RopeScaling.Llama3(float factor, float low, float high, int originalMaxPositions) -> {
                m.put("type", "llama3");
                m.put("factor", factor);
                m.put("lowFreqFactor", low);
                m.put("highFreqFactor", high);
                m.put("originalMaxPositions", originalMaxPositions);
            }
        }
        return m;
    }
}
