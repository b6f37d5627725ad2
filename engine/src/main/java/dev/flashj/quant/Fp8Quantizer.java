package dev.flashj.quant;

import dev.flashj.tensor.Fp8Layout;
import dev.flashj.tensor.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Per-output-channel FP8 E4M3: each row scaled so that its largest magnitude maps to 448. */
final class Fp8Quantizer {
    private Fp8Quantizer() {
    }

    static byte[] quantize(float[] w, int rows, int cols) {
        long size = TensorType.FP8_E4M3.matrixBytes(rows, cols);
        if (size < 0 || size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("FP8_E4M3: cannot hold a [" + rows + ", " + cols + "] matrix");
        }
        byte[] out = new byte[(int) size];
        ByteBuffer scales = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) {
            float amax = 0;
            for (int c = 0; c < cols; c++) {
                amax = Math.max(amax, Math.abs(w[r * cols + c]));
            }
            float scale = amax > 0 ? amax / Fp8Layout.MAX : 1f;
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = (byte) Fp8Layout.encode(w[r * cols + c] / scale);
            }
            scales.putFloat((int) Fp8Layout.scaleOffset(rows, cols, r), scale);
        }
        return out;
    }
}
