package dev.flashj.ops;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example of docs/ops-api.md, run as a test: {@link #example} is the documented code, and
 * {@link #documentationShowsThisExample} fails when the two drift apart.
 */
class OpsApiExampleTest {

    /** The documented example: returns the lightning and neighborhood outputs. */
    static float[][] example(float[] qData, float[] kData, float[] vData, float[] imageData) {
        // --- example start
        try (AttentionOps ops = AttentionOps.open("cpu")) {   // or "opencl", "opencl:0:0"
            int batch = 1, tokens = 300, heads = 4, kvHeads = 2, dim = 32;
            // Layout [batch, tokens, heads, headDim], row-major; k and v may have fewer heads (GQA).
            try (DeviceTensor q = ops.upload(qData, batch, tokens, heads, dim);
                 DeviceTensor k = ops.upload(kData, batch, tokens, kvHeads, dim);
                 DeviceTensor v = ops.upload(vData, batch, tokens, kvHeads, dim);
                 DeviceTensor out = ops.lightning(q, k, v, LightningSpec.uniform(heads, 0.99f))) {
                float[] lightning = ops.download(out);

                // 2D neighborhood attention on a 24 x 40 image, 7 x 7 window, [batch, height, width, heads, headDim].
                try (DeviceTensor image = ops.upload(imageData, 1, 24, 40, heads, dim);
                     DeviceTensor attended = ops.neighborhood(image, image, image, NeighborhoodSpec.of2d(7, 7))) {
                    return new float[][]{lightning, ops.download(attended)};
                }
            }
        }
        // --- example end
    }

    @Test
    void exampleRunsAndMatchesTheReferences() {
        Random r = new Random(3);
        float[] q = AttentionOpsContract.randoms(r, 300 * 4 * 32, 0.2);
        float[] k = AttentionOpsContract.randoms(r, 300 * 2 * 32, 0.2);
        float[] v = AttentionOpsContract.randoms(r, 300 * 2 * 32, 1);
        float[] image = AttentionOpsContract.randoms(r, 24 * 40 * 4 * 32, 1);
        float[][] got = example(q, k, v, image);
        float[] decay = {0.99f, 0.99f, 0.99f, 0.99f};
        AttentionOpsContract.assertClose(AttentionReference.lightning(q, k, v, 1, 300, 4, 2, 32, 32, decay,
                FeatureMap.IDENTITY, null), got[0], 1e-4, "example lightning");
        AttentionOpsContract.assertClose(AttentionReference.neighborhood(image, image, image, 1, new int[]{24, 40}, 4, 4, 32,
                NeighborhoodSpec.of2d(7, 7)), got[1], 2e-5, "example neighborhood");
    }

    @Test
    void documentationShowsThisExample() throws IOException {
        Path doc = Path.of("../docs/ops-api.md");
        Path self = Path.of("src/test/java/dev/flashj/ops/OpsApiExampleTest.java");
        String source = Files.readString(self);
        String example = source.substring(source.indexOf("// --- example start"), source.indexOf("// --- example end"));
        String docText = Files.readString(doc);
        List<String> lines = example.lines().skip(1).map(String::strip).filter(l -> !l.isEmpty()).toList();
        for (String line : lines) {
            assertTrue(docText.contains(line), () -> doc + " lacks the example line: " + line);
        }
    }

    @Test
    void openNamesTheBadDevice() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.flashj.FlashjException.class,
                () -> AttentionOps.open("tpu:0"));
        assertTrue(e.getMessage().startsWith("device: no backend offers attention ops for 'tpu:0'"), e.getMessage());
    }
}
