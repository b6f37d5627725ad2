package dev.flashj.quant;

/** Told about each tensor as a conversion handles it (for a progress bar). */
@FunctionalInterface
public interface ConversionProgress {
    /**
     * @param done       tensors finished so far, this one included
     * @param total      tensors in all
     * @param tensorName the tensor just finished
     */
    void tensorDone(int done, int total, String tensorName);

    ConversionProgress NONE = (done, total, name) -> {
    };
}
