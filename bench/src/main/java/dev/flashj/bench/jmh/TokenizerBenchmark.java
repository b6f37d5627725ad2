package dev.flashj.bench.jmh;

import dev.flashj.tokenizer.Tokenizer;
import dev.flashj.tokenizer.TokenizerLoader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Encoding one English paragraph (about 120 words, digits and punctuation) with real vocabularies:
 * LLaMA's SentencePiece and GPT-2's byte-level BPE, read from the test data folder (system
 * property {@code flashj.testdata}, default {@code ../shared/testdata}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TokenizerBenchmark {
    static final String PARAGRAPH = "The lighthouse keeper wrote in his log every evening at 7:45, even when nothing"
            + " happened. On the 3rd of March, 1921, he noted a ship with green sails, a gull that refused to leave the"
            + " railing, and a storm that \"arrived like a rumour and left like an apology\". His daughter, who later"
            + " became an engineer, kept the logs in 14 boxes; she said the handwriting changed whenever the wind did."
            + " Visitors still ask whether the ship was ever found. The answer, written in pencil on the last page, is"
            + " short: no, but the gull came back in April - twice.";

    @Param({"llama.cpp-vocab/ggml-vocab-llama-spm.gguf", "llama.cpp-vocab/ggml-vocab-gpt-2.gguf"})
    String tokenizer;

    Tokenizer loaded;

    @Setup
    public void load() {
        loaded = TokenizerLoader.load(TestDataFiles.require(tokenizer), 0);
    }

    @Benchmark
    public int[] encodeParagraph() {
        return loaded.encode(PARAGRAPH, true, false);
    }
}
