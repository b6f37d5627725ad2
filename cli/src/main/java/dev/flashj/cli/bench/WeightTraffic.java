package dev.flashj.cli.bench;

import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.tensor.Tensor;

/**
 * Bytes of weights one decoded token reads: every tensor once, except the token embedding, of
 * which only the token's row is read (unless the output head reuses it, then all of it).
 */
final class WeightTraffic {
    private WeightTraffic() {
    }

    static long bytesPerDecodedToken(ModelFile file) {
        boolean tied = file.config().tiedEmbeddings();
        long bytes = 0;
        for (Tensor t : file.tensors()) {
            bytes += t.byteSize();
        }
        Tensor embedding = file.weight(LlamaTensorNames.TOKEN_EMBEDDING).orElse(null);
        if (embedding != null && !tied) {
            bytes -= embedding.byteSize() - embedding.byteSize() / embedding.rows();
        }
        return bytes;
    }
}
