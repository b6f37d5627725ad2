package dev.flashj.ops;

/**
 * The running key-value state of lightning attention, {@code S[b][h] = Σ_j λ_h^(t-1-j) φ(k_j) v_j^T}
 * over the tokens seen so far: a tensor [batch, heads, keyDim, valueDim] (fp32), zero at the start.
 * {@link AttentionOps#lightning} with a state continues from it and leaves it at the end of its
 * tokens; {@link AttentionOps#lightningStep} advances it one token. Close it when done.
 *
 * @param tensor the state, owned by the same ops as the tensors it is used with
 */
public record LightningState(DeviceTensor tensor) implements AutoCloseable {

    public int batch() {
        return tensor.shape()[0];
    }

    public int heads() {
        return tensor.shape()[1];
    }

    @Override
    public void close() {
        tensor.close();
    }
}
