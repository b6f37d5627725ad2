package dev.flashj.model;

import dev.flashj.tensor.Tensor;
import dev.flashj.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An opened model checkpoint: its configuration, tokenizer and memory-mapped weights. Tensors stay
 * valid until {@link #close()}, which unmaps the file(s).
 */
public interface ModelFile extends AutoCloseable {

    /** The file or directory the model was opened from. */
    Path path();

    ModelFormat format();

    /** The architecture name, e.g. "llama". */
    String architecture();

    LlamaConfig config();

    Tokenizer tokenizer();

    /** Every tensor, in file order, under the file's own names. */
    List<Tensor> tensors();

    /** A weight under its canonical {@link LlamaTensorNames} name. */
    Optional<Tensor> weight(String canonicalName);

    /** Format-specific metadata for display (GGUF key/values, config.json fields, llama2.c header). */
    Map<String, Object> metadata();

    @Override
    void close();
}
