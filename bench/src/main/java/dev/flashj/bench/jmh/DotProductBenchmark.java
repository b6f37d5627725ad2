package dev.flashj.bench.jmh;

import dev.flashj.cpu.Ops;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The CPU backend's Vector API dot product ({@link Ops#dot}) against a plain scalar loop, on
 * cache-resident vectors of a head size (128), a hidden size (4096) and a long row (65536).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DotProductBenchmark {

    @Param({"128", "4096", "65536"})
    int size;

    float[] a;
    float[] b;

    @Setup
    public void fill() {
        SplittableRandom random = new SplittableRandom(1);
        a = new float[size];
        b = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) random.nextDouble(-1, 1);
            b[i] = (float) random.nextDouble(-1, 1);
        }
    }

    @Benchmark
    public float vectorApi() {
        return Ops.dot(a, 0, b, 0, size);
    }

    /** One sequential accumulator: what the JIT makes of the obvious loop (it may not reorder float adds). */
    @Benchmark
    public float scalar() {
        float sum = 0;
        for (int i = 0; i < size; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
