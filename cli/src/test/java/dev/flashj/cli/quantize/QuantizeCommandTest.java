package dev.flashj.cli.quantize;

import dev.flashj.TestData;
import dev.flashj.cli.CliRun;
import dev.flashj.format.gguf.GgufArray;
import dev.flashj.format.gguf.GgufFile;
import dev.flashj.quant.WeightQuantizer;
import dev.flashj.tensor.Dequantizer;
import dev.flashj.tensor.Tensor;
import dev.flashj.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizeCommandTest {
    /** Keys the converter sets; every other key of a GGUF source must come through unchanged. */
    private static final Set<String> SET_BY_QUANTIZE = Set.of("general.file_type", "general.quantization_version",
            "flashj.quantize.type", "flashj.tensor_types");

    @TempDir
    Path dir;

    @Test
    void ggufSourceKeepsMetadataAndTensorsReadBackAsWritten() throws IOException {
        Path source = TestData.require("stories260K.gguf");
        Path out = dir.resolve("s-int4.gguf");
        CliRun r = CliRun.flashj("quantize", "-m", source.toString(), "--type", "int4-g32", "-o", out.toString());
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().contains("48/48"), "progress bar on stderr: " + r);
        assertTrue(r.out().contains("FLASHJ_INT4_G32"), r.toString());
        try (GgufFile in = GgufFile.open(source); GgufFile written = GgufFile.open(out)) {
            for (Map.Entry<String, Object> e : in.metadata().asMap().entrySet()) {
                if (!SET_BY_QUANTIZE.contains(e.getKey())) {
                    assertTrue(sameValue(e.getValue(), written.metadata().asMap().get(e.getKey())), e.getKey());
                    assertEquals(in.metadata().type(e.getKey()), written.metadata().type(e.getKey()), e.getKey());
                }
            }
            assertEquals("int4-g32", written.metadata().getString("flashj.quantize.type"));
            assertArrayEquals(new String[]{"1001=FLASHJ_INT4_G32"}, written.metadata().getStringArray("flashj.tensor_types"));
            assertEquals(in.tensors().size(), written.tensors().size());
            for (Tensor t : in.tensors()) {
                Tensor w = written.tensor(t.name()).orElseThrow();
                assertArrayEquals(t.shape(), w.shape(), t.name());
                TensorType expectedType = t.rank() == 1 ? TensorType.F32
                        : t.name().equals("token_embd.weight") || t.name().equals("output.weight") ? TensorType.F16
                        : t.cols() % 32 == 0 ? TensorType.INT4_G32 : TensorType.F16;
                assertEquals(expectedType, w.type(), t.name());
                byte[] expected = WeightQuantizer.quantize(expectedType, Dequantizer.toFloats(t), (int) t.rows(), (int) t.cols());
                assertArrayEquals(expected, w.data().toArray(ValueLayout.JAVA_BYTE), t.name());
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    /** Metadata values; arrays compared element by element. */
    private static boolean sameValue(Object a, Object b) {
        if (a instanceof GgufArray x && b instanceof GgufArray y) {
            return x.elementType() == y.elementType() && Objects.deepEquals(x.values(), y.values());
        }
        return Objects.equals(a, b);
    }

    @Test
    void llamaCppTypesSetTheirFileType() {
        Path out = dir.resolve("s-q8.gguf");
        CliRun r = CliRun.flashj("quantize", "-m", TestData.require("stories260K.gguf").toString(), "-t", "q8_0",
                "-o", out.toString());
        assertEquals(0, r.exitCode(), r.toString());
        try (GgufFile written = GgufFile.open(out)) {
            assertEquals(7L, written.metadata().getLong("general.file_type"));
            assertEquals(2L, written.metadata().getLong("general.quantization_version"));
            assertFalse(written.metadata().has("flashj.tensor_types"));
        }
    }

    @Test
    void calibratedInt4FromHuggingFaceLoadsAndGenerates() {
        Path out = dir.resolve("hf-int4.gguf");
        CliRun r = CliRun.flashj("quantize", "-m", TestData.require("hf-tiny-llama2-spm").toString(), "--type", "int4-g128",
                "--calibration", "Attention layers compute weighted sums of value vectors.", "-o", out.toString());
        assertEquals(0, r.exitCode(), r.toString());
        CliRun g = CliRun.flashj("generate", "-m", out.toString(), "-p", "Linear attention is", "-n", "8", "--temperature", "0");
        assertEquals(0, g.exitCode(), g.toString());
        assertFalse(g.out().isBlank(), g.toString());
    }

    @Test
    void emptyCalibrationIsAUsageError() {
        CliRun r = CliRun.flashj("quantize", "-m", "x", "--type", "int4-g32", "--calibration", " ", "-o",
                dir.resolve("o.gguf").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("--calibration"), r.toString());
    }

    @Test
    void unknownTypeIsAUsageErrorListingTheTypes() {
        CliRun r = CliRun.flashj("quantize", "-m", "x.gguf", "--type", "q3_k", "-o", dir.resolve("o.gguf").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("'q3_k' is not a quantization type") && r.err().contains("int4-g128"), r.toString());
    }

    @Test
    void missingOutputDirectoryIsAUsageErrorNamingTheOption() {
        Path out = dir.resolve("no/such/dir/o.gguf");
        CliRun r = CliRun.flashj("quantize", "-m", "x.gguf", "--type", "q8_0", "-o", out.toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("--output") && r.err().contains("does not exist"), r.toString());
    }

    @Test
    void missingModelFailsNamingTheFileAndWritesNothing() throws IOException {
        Path missing = dir.resolve("absent.gguf");
        Path out = dir.resolve("o.gguf");
        CliRun r = CliRun.flashj("quantize", "-m", missing.toString(), "--type", "q8_0", "-o", out.toString());
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains(missing.toString()), r.toString());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }
}
