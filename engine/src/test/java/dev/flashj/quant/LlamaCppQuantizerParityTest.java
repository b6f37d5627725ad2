package dev.flashj.quant;

import dev.flashj.TestData;
import dev.flashj.format.gguf.GgufFile;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FlashJ's reference quantizers against blocks llama-quantize wrote: every Q8_0, Q4_0 and Q5_0
 * tensor of the llama.cpp-made stories260K files, requantized here from the F32 original, must be
 * byte-identical. (Those files hold no Q4_K: 64-column rows cannot, see SOURCES.md.)
 */
class LlamaCppQuantizerParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0mix", "Q4_0mix"})
    void requantizedTensorsAreByteIdentical(String variant) {
        Set<TensorType> checked = EnumSet.noneOf(TensorType.class);
        try (GgufFile original = GgufFile.open(TestData.require("stories260K.gguf"));
             GgufFile derived = GgufFile.open(TestData.require("derived/stories260K-" + variant + ".gguf"))) {
            for (Tensor t : derived.tensors()) {
                if (!EnumSet.of(TensorType.Q8_0, TensorType.Q4_0, TensorType.Q5_0).contains(t.type())) {
                    continue;
                }
                Tensor f32 = original.tensor(t.name()).orElseThrow();
                byte[] mine = WeightQuantizer.quantize(t.type(), Dequantizer.toFloats(f32), (int) t.rows(), (int) t.cols());
                assertArrayEquals(t.data().toArray(ValueLayout.JAVA_BYTE), mine, t.name() + " " + t.type());
                checked.add(t.type());
            }
        }
        assertTrue(checked.size() >= ("Q4_0mix".equals(variant) ? 3 : 1), "types checked: " + checked);
    }
}
