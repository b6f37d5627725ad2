package dev.flashj.bench.jmh;

import dev.flashj.model.ModelFile;
import dev.flashj.model.ModelLoader;
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

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Opening a model file and closing it again: parse the GGUF header and metadata, validate every
 * tensor's bounds, map the file, build the config and tokenizer. The file stays in the page cache,
 * so this is the loader's own cost, not the disk's.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ModelOpenBenchmark {

    @Param({"stories260K.gguf"})
    String model;

    Path file;

    @Setup
    public void locate() {
        file = TestDataFiles.require(model);
    }

    @Benchmark
    public long openAndMap() {
        try (ModelFile m = ModelLoader.open(file, Optional.empty())) {
            return m.config().hashCode() + System.identityHashCode(m.tokenizer());
        }
    }
}
