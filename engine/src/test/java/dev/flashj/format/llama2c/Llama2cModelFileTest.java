package dev.flashj.format.llama2c;

import dev.flashj.FlashjException;
import dev.flashj.TestData;
import dev.flashj.format.hf.StubTokenizer;
import dev.flashj.format.safetensors.SafetensorsFile;
import dev.flashj.model.LlamaConfig;
import dev.flashj.model.LlamaTensorNames;
import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelFormat;
import dev.flashj.model.RopeScaling;
import dev.flashj.model.RopeStyle;
import dev.flashj.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Llama2cModelFileTest {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path tmp;

    @Test
    void readsStories260kHeaderAndLayout() {
        Path bin = TestData.require("stories260K.bin");
        StubTokenizer tok = new StubTokenizer(512);
        try (Llama2cModelFile model = Llama2cModelFile.open(bin, c -> tok)) {
            assertEquals(ModelFormat.LLAMA2C, model.format());
            assertEquals("llama", model.architecture());
            assertSame(tok, model.tokenizer());
            LlamaConfig c = model.config();
            assertEquals(64, c.dim());
            assertEquals(172, c.hiddenDim());
            assertEquals(5, c.numLayers());
            assertEquals(8, c.numHeads());
            assertEquals(4, c.numKvHeads());
            assertEquals(8, c.headDim());
            assertEquals(512, c.vocabSize());
            assertEquals(512, c.contextLength());
            assertEquals(1e-5f, c.rmsNormEps());
            assertEquals(10000f, c.rope().theta());
            assertEquals(RopeStyle.INTERLEAVED, c.rope().style());
            assertEquals(new RopeScaling.None(), c.rope().scaling());
            assertTrue(c.tiedEmbeddings());
            assertFalse(c.attentionBias());
            assertTrue(model.weight(LlamaTensorNames.OUTPUT).isEmpty());
            assertEquals(512, model.metadata().get("vocab_size"));
            // embeddings, 9 per layer, final norm, two RoPE tables
            assertEquals(1 + 5 * 9 + 1 + 2, model.tensors().size());
            assertArrayEquals(new long[]{32, 64}, model.weight(LlamaTensorNames.key(3)).orElseThrow().shape());
            assertArrayEquals(new long[]{64, 172}, model.weight(LlamaTensorNames.ffnDown(4)).orElseThrow().shape());
            assertArrayEquals(new long[]{64}, model.weight(LlamaTensorNames.ffnNorm(0)).orElseThrow().shape());
            // The slices tile the file exactly, header to last byte.
            long total = model.tensors().stream().mapToLong(Tensor::byteSize).sum();
            assertEquals(Files.size(bin), Llama2cHeader.BYTES + total);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void ropeTablesAtTheEndMatchAFloat64Reference() {
        // The last arrays of the file are cos/sin(pos * theta^(-2i/headSize)): if every offset before them
        // is right, they read back as computed here.
        try (Llama2cModelFile model = Llama2cModelFile.open(TestData.require("stories260K.bin"), c -> new StubTokenizer(512))) {
            Tensor real = model.tensors().get(model.tensors().size() - 2);
            Tensor imag = model.tensors().getLast();
            assertEquals("freq_cis_real", real.name());
            assertArrayEquals(new long[]{512, 4}, real.shape());
            double maxError = 0;
            for (int pos = 0; pos < 512; pos++) {
                for (int i = 0; i < 4; i++) {
                    double angle = pos * Math.pow(10000.0, -2.0 * i / 8);
                    long at = (pos * 4L + i) * 4;
                    maxError = Math.max(maxError, Math.abs(real.data().get(F32_LE, at) - Math.cos(angle)));
                    maxError = Math.max(maxError, Math.abs(imag.data().get(F32_LE, at) - Math.sin(angle)));
                }
            }
            assertTrue(maxError < 1e-3, "max error " + maxError); // float32 angles at pos 511
        }
    }

    @Test
    void weightsEqualTheHuggingFaceExport() {
        Path bin = TestData.require("stories260K.bin");
        Path hf = TestData.require("derived/stories260K-hf/model.safetensors");
        try (Llama2cModelFile model = Llama2cModelFile.open(bin, c -> new StubTokenizer(512));
             SafetensorsFile st = SafetensorsFile.open(hf)) {
            LlamaConfig c = model.config();
            assertSameBytes(model, LlamaTensorNames.TOKEN_EMBEDDING, st, "model.embed_tokens.weight");
            assertSameBytes(model, LlamaTensorNames.OUTPUT_NORM, st, "model.norm.weight");
            for (int l = 0; l < c.numLayers(); l++) {
                String p = "model.layers." + l + ".";
                assertSameBytes(model, LlamaTensorNames.attentionNorm(l), st, p + "input_layernorm.weight");
                assertSameBytes(model, LlamaTensorNames.value(l), st, p + "self_attn.v_proj.weight");
                assertSameBytes(model, LlamaTensorNames.attentionOutput(l), st, p + "self_attn.o_proj.weight");
                assertSameBytes(model, LlamaTensorNames.ffnNorm(l), st, p + "post_attention_layernorm.weight");
                assertSameBytes(model, LlamaTensorNames.ffnGate(l), st, p + "mlp.gate_proj.weight");
                assertSameBytes(model, LlamaTensorNames.ffnUp(l), st, p + "mlp.up_proj.weight");
                assertSameBytes(model, LlamaTensorNames.ffnDown(l), st, p + "mlp.down_proj.weight");
                assertRotateHalfPermutation(model.weight(LlamaTensorNames.query(l)).orElseThrow(),
                        st.tensor(p + "self_attn.q_proj.weight"), c.numHeads(), c.headDim());
                assertRotateHalfPermutation(model.weight(LlamaTensorNames.key(l)).orElseThrow(),
                        st.tensor(p + "self_attn.k_proj.weight"), c.numKvHeads(), c.headDim());
            }
        }
    }

    /**
     * Within each head, HF row i < hd/2 is Meta row 2i and HF row i >= hd/2 is Meta row 2(i - hd/2) + 1.
     * Also checks the rows are not simply equal, so the relation is not satisfied by accident.
     */
    private static void assertRotateHalfPermutation(Tensor meta, Tensor hf, int heads, int hd) {
        assertArrayEquals(meta.shape(), hf.shape());
        long rowBytes = meta.cols() * 4;
        boolean anyDifferent = false;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < hd; i++) {
                int metaRow = i < hd / 2 ? 2 * i : 2 * (i - hd / 2) + 1;
                byte[] hfBytes = row(hf.data(), h * hd + i, rowBytes);
                assertArrayEquals(row(meta.data(), h * hd + metaRow, rowBytes), hfBytes,
                        meta.name() + " head " + h + " row " + i);
                anyDifferent |= !Arrays.equals(row(meta.data(), h * hd + i, rowBytes), hfBytes);
            }
        }
        assertTrue(anyDifferent, meta.name() + ": HF and Meta rows are identical, expected a permutation");
    }

    private static byte[] row(MemorySegment data, long row, long rowBytes) {
        return data.asSlice(row * rowBytes, rowBytes).toArray(ValueLayout.JAVA_BYTE);
    }

    private static void assertSameBytes(ModelFile model, String canonical, SafetensorsFile st, String hfName) {
        Tensor a = model.weight(canonical).orElseThrow(() -> new AssertionError("no " + canonical));
        Tensor b = st.tensor(hfName);
        assertArrayEquals(b.shape(), a.shape(), canonical);
        assertArrayEquals(b.data().toArray(ValueLayout.JAVA_BYTE), a.data().toArray(ValueLayout.JAVA_BYTE), canonical);
    }

    @Test
    @Tag("needs-tokenizer")
    void loadsItsTokenizer() {
        try (ModelFile model = Llama2cModelFile.open(TestData.require("stories260K.bin"), TestData.require("tok512.bin"))) {
            assertEquals(512, model.tokenizer().vocabSize());
        }
    }

    @Test
    void unsharedClassifierAndSequentialLayout() throws IOException {
        // dim 12, hidden 10, 3 layers, 6 heads (head size 2), 3 KV heads, vocab 7 (negative: own classifier), seq 5.
        int dim = 12, hidden = 10, layers = 3, heads = 6, kvHeads = 3, vocab = 7, seq = 5;
        int kvDim = kvHeads * (dim / heads);
        long floats = (long) vocab * dim + layers * (2L * dim + 2L * dim * dim + 2L * kvDim * dim + 3L * hidden * dim)
                + dim + 2L * seq * (dim / heads / 2) + (long) vocab * dim;
        Path file = writeBin(tmp.resolve("unshared.bin"), new int[]{dim, hidden, layers, heads, kvHeads, -vocab, seq}, floats);
        try (Llama2cModelFile model = Llama2cModelFile.open(file, c -> new StubTokenizer(c.vocabSize()))) {
            assertFalse(model.config().tiedEmbeddings());
            assertEquals(vocab, model.config().vocabSize());
            // Walk the spec's order; every value in the file is its own float index.
            long[] at = {0};
            expectAt(model, LlamaTensorNames.TOKEN_EMBEDDING, at, (long) vocab * dim);
            for (int l = 0; l < layers; l++) {
                expectAt(model, LlamaTensorNames.attentionNorm(l), at, dim);
            }
            for (int l = 0; l < layers; l++) {
                expectAt(model, LlamaTensorNames.query(l), at, (long) dim * dim);
            }
            for (int l = 0; l < layers; l++) {
                expectAt(model, LlamaTensorNames.key(l), at, (long) kvDim * dim);
            }
            for (int l = 0; l < layers; l++) {
                expectAt(model, LlamaTensorNames.value(l), at, (long) kvDim * dim);
            }
            for (int l = 0; l < layers; l++) {
                expectAt(model, LlamaTensorNames.attentionOutput(l), at, (long) dim * dim);
            }
            for (int l = 0; l < layers; l++) {
                expectAt(model, LlamaTensorNames.ffnNorm(l), at, dim);
            }
            for (int l = 0; l < layers; l++) {
                expectAt(model, LlamaTensorNames.ffnGate(l), at, (long) hidden * dim);
            }
            for (int l = 0; l < layers; l++) {
                expectAt(model, LlamaTensorNames.ffnDown(l), at, (long) dim * hidden);
            }
            for (int l = 0; l < layers; l++) {
                expectAt(model, LlamaTensorNames.ffnUp(l), at, (long) hidden * dim);
            }
            expectAt(model, LlamaTensorNames.OUTPUT_NORM, at, dim);
            at[0] += 2L * seq * (dim / heads / 2);
            expectAt(model, LlamaTensorNames.OUTPUT, at, (long) vocab * dim);
            assertEquals(floats, at[0]);
            assertArrayEquals(new long[]{vocab, dim}, model.weight(LlamaTensorNames.OUTPUT).orElseThrow().shape());
        }
    }

    private static void expectAt(ModelFile model, String name, long[] at, long count) {
        Tensor t = model.weight(name).orElseThrow(() -> new AssertionError("no " + name));
        assertEquals(count, t.numElements(), name);
        assertEquals((float) at[0], t.data().get(F32_LE, 0), name + " first element");
        assertEquals((float) (at[0] + count - 1), t.data().get(F32_LE, (count - 1) * 4), name + " last element");
        at[0] += count;
    }

    /** A header and {@code floats} floats whose values are their own index. */
    static Path writeBin(Path file, int[] header, long floats) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(28 + floats * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : header) {
            b.putInt(v);
        }
        for (long i = 0; i < floats; i++) {
            b.putFloat(i);
        }
        return Files.write(file, b.array());
    }

    @Test
    void badHeaders() throws IOException {
        int[] good = {64, 172, 5, 8, 4, 512, 512};
        Object[][] cases = {
                {0, 0, "dim"}, {0, -64, "dim"}, {1, 0, "hidden_dim"}, {2, -1, "n_layers"}, {3, 0, "n_heads"},
                {4, 0, "n_kv_heads"}, {5, 0, "vocab_size"}, {5, Integer.MIN_VALUE, "vocab_size"}, {6, -512, "seq_len"},
                {3, 7, "n_heads"},          // does not divide dim
                {4, 3, "n_kv_heads"},       // does not divide heads
                {3, 64, "n_heads"},         // head size 1: odd
                {0, 0x616b3432, "magic"},   // versioned export
                {0, 1 << 30, "header"},     // absurd: sizes overflow
                {2, Integer.MAX_VALUE, "weights"}, // absurd but no overflow: does not fit the file
                {6, 1 << 20, "weights"},    // RoPE tables larger than the file
        };
        Path file = tmp.resolve("bad.bin");
        for (Object[] c : cases) {
            int[] header = good.clone();
            header[(int) c[0]] = (int) c[1];
            writeBin(file, header, 100);
            FlashjException e = assertThrows(FlashjException.class,
                    () -> Llama2cModelFile.open(file, x -> new StubTokenizer(x.vocabSize())).close(), Arrays.toString(header));
            assertTrue(e.getMessage().startsWith(file + ": " + c[2] + ":"), e.getMessage());
        }
        Files.write(file, new byte[27]);
        FlashjException e = assertThrows(FlashjException.class, () -> Llama2cModelFile.open(file, x -> null));
        assertTrue(e.getMessage().startsWith(file + ": header:"), e.getMessage());
    }

    @Test
    void truncatedWeights() throws IOException {
        byte[] whole = Files.readAllBytes(TestData.require("stories260K.bin"));
        Path file = tmp.resolve("cut.bin");
        for (int cut : new int[]{1, 4, 4096, whole.length - 28}) {
            Files.write(file, Arrays.copyOf(whole, whole.length - cut));
            FlashjException e = assertThrows(FlashjException.class, () -> Llama2cModelFile.open(file, x -> null));
            assertTrue(e.getMessage().startsWith(file + ": weights:") && e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    @Test
    void tokenizerFailurePropagates() {
        Path bin = TestData.require("stories260K.bin");
        FlashjException e = assertThrows(FlashjException.class, () -> Llama2cModelFile.open(bin, c -> {
            throw new FlashjException("tok.bin: broken");
        }));
        assertEquals("tok.bin: broken", e.getMessage());
    }
}
