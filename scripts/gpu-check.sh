#!/usr/bin/env bash
# Prepares .gpu/ (git-ignored) for a run on the GPU machine, which has no Java and no Maven:
#   .gpu/jre25.tgz      a jlink'd JDK 25 runtime (kept between runs)
#   .gpu/lib/*.jar      flashj.jar (CLI + engine + kernels + fatbin), the kernels-cuda and engine test classes, JUnit
#   .gpu/testdata/      a copy of ../shared/testdata (14 MiB) for the model tests
#   .gpu/run-checks.sh  runs there: GPU tests, kernel benchmarks, the PyTorch reference, `flashj devices` and a
#                       generation on --device cuda; every log goes to $OUT (or .gpu/out when $OUT is unset)
# Then, on the GPU machine (one call, e.g. the session's `run` tool with carry [".gpu"]):
#   bash .gpu/run-checks.sh            (about 8 minutes: tests, generate, end to end on the TinyLlama-1.1B
#                                       shape in f16 (graphs on and off)/int4-g128/fp8, kernel benchmarks,
#                                       PyTorch reference)
#   bash .gpu/run-checks.sh memcheck   (the kernel tests under compute-sanitizer)
#   bash .gpu/run-checks.sh quant      (issue #8 only, about 4 minutes: the quantized-weight tests, their
#                                       benchmarks, end to end in f16/int4-g128/fp8 and the PyTorch reference)
#   bash .gpu/run-checks.sh graphs     (issue #4's decode CUDA graph only, about 3 minutes: its tests, then
#                                       TinyLlama-1.1B-shaped F16 decode tokens/s with graphs on / off / on)
#   bash .gpu/run-checks.sh bindings   (issue #9's Panama vs JNI only, about 3 minutes: JMH, FlashJ's CUDA binding
#                                       vs JCuda and its OpenCL binding vs JOCL; last in the default run too)
# The default run puts what matters most first (tests, generation, end to end), so that if the device time
# runs out, the logs written so far under $OUT still say the most.
# The bundle must stay under 64 MiB.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/find-jdk.sh"
flashj_find_jdk || exit 1
export JAVA_HOME="$FLASHJ_JAVA_HOME"
gpu="$root/.gpu"
mkdir -p "$gpu/lib"

echo "gpu-check: building (tests skipped here; they run on the GPU)..."
(cd "$root" && ./mvnw -o -B -q -DskipTests -pl cli -am package)
(cd "$root" && ./mvnw -o -B -q -DskipTests -pl kernels-cuda -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$gpu/classpath.txt" -Dmdep.includeScope=test) > /dev/null
(cd "$root" && ./mvnw -o -B -q -DskipTests -pl bench -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$gpu/bench-classpath.txt" -Dmdep.includeScope=runtime) > /dev/null
if [ ! -f "$root/kernels-cuda/target/classes/dev/flashj/cuda/flashj-kernels.fatbin" ]; then
  echo "gpu-check: no fatbin was built (nvcc missing or -Dflashj.cuda.skip=true); the GPU run would only skip" >&2
  exit 1
fi

if [ ! -f "$gpu/jre25.tgz" ]; then
  echo "gpu-check: jlink runtime..."
  rm -rf /tmp/flashj-jre25
  "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,java.management,jdk.unsupported,java.net.http,jdk.httpserver,java.xml,jdk.zipfs \
    --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output /tmp/flashj-jre25
  tar czf "$gpu/jre25.tgz" -C /tmp flashj-jre25
  rm -rf /tmp/flashj-jre25
fi

rm -f "$gpu"/lib/*.jar
cp "$root/cli/target/flashj.jar" "$gpu/lib/"
"$JAVA_HOME/bin/jar" cf "$gpu/lib/kernels-cuda-tests.jar" -C "$root/kernels-cuda/target/test-classes" .
"$JAVA_HOME/bin/jar" cf "$gpu/lib/engine-tests.jar" -C "$root/engine/target/test-classes" .
tr ':' '\n' < "$gpu/classpath.txt" | grep '\.jar$' | grep -e junit -e opentest4j -e apiguardian | while read -r jar; do
  cp "$jar" "$gpu/lib/"
done
launcher=$(find "$HOME/.m2/repository/org/junit/platform/junit-platform-launcher" -name 'junit-platform-launcher-1.14.1.jar' | head -1)
cp "$launcher" "$gpu/lib/"
# The JMH binding-overhead benchmarks (Panama vs JCuda and JOCL): bench classes and JMH, JCuda and JOCL jars;
# of JCuda's natives only the driver API's library (the whole jar is 9.5 MB).
rm -rf "$gpu/bench" && mkdir -p "$gpu/bench"
"$JAVA_HOME/bin/jar" cf "$gpu/bench/flashj-bench.jar" -C "$root/bench/target/classes" .
tr ':' '\n' < "$gpu/bench-classpath.txt" | grep '\.jar$' | grep -e jmh-core -e jopt-simple -e commons-math3 -e '/jcuda-[0-9]' \
  -e '/jocl-' | while read -r jar; do
  cp "$jar" "$gpu/bench/"
done
natives=$(tr ':' '\n' < "$gpu/bench-classpath.txt" | grep 'jcuda-natives-.*linux-x86_64\.jar$' | head -1)
rm -rf /tmp/flashj-jcuda-natives && mkdir -p /tmp/flashj-jcuda-natives
(cd /tmp/flashj-jcuda-natives && unzip -q "$natives" 'lib/libJCudaDriver-*' && \
  "$JAVA_HOME/bin/jar" cf "$gpu/bench/jcuda-driver-natives.jar" lib)
rm -rf "$gpu/testdata"
cp -r "$root/../shared/testdata" "$gpu/testdata"
cp "$root/scripts/gpu-torch-reference.py" "$gpu/"

cat > "$gpu/run-checks.sh" <<'RUN'
#!/usr/bin/env bash
# Runs on the GPU machine from the repository root: GPU tests, kernel benchmarks, PyTorch reference.
# "bash .gpu/run-checks.sh memcheck" runs only the kernel tests under compute-sanitizer (a few minutes);
# "bash .gpu/run-checks.sh quant" only the quantized-weight tests and benchmarks (issue #8);
# "bash .gpu/run-checks.sh graphs" only the decode-graph tests and the graphs on/off decode benchmark (issue #4).
set -uo pipefail
gpu=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${OUT:-$gpu/out}
mkdir -p "$out"
tar xzf "$gpu/jre25.tgz" -C /tmp
java=/tmp/flashj-jre25/bin/java
cp=$(ls "$gpu"/lib/*.jar | tr '\n' ':')
flags=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Djava.io.tmpdir=/tmp -Xss4m
       -Dflashj.testdata="$gpu/testdata")
{ nvidia-smi; nvcc --version; } > "$out/machine.txt" 2>&1
if [ "${1:-}" = memcheck ]; then
  echo "== compute-sanitizer memcheck on the kernel tests"
  timeout 500 compute-sanitizer --tool memcheck --target-processes all --print-limit 20 \
    "$java" "${flags[@]}" -cp "$cp" dev.flashj.cuda.GpuTestRunner dev.flashj.cuda.kernels > "$out/memcheck.log" 2>&1
  echo "memcheck exit $?" | tee -a "$out/memcheck.log"; grep -E "ERROR SUMMARY|tests (successful|failed)" "$out/memcheck.log"
  exit 0
fi
quant_tests=(dev.flashj.cuda.kernels.CudaQuantMatmulTest dev.flashj.cuda.model.CudaQuantizedModelTest)
quant_bench() {
  echo "== FlashJ quantized-weight benchmarks (issue #8; fp16 reference interleaved in the same run)"
  timeout 240 "$java" "${flags[@]}" -cp "$cp" dev.flashj.cuda.bench.CudaQuantBench 2>&1 | tee "$out/bench-quant.txt"
}
# End to end on the TinyLlama-1.1B shape with random weights (written once per type into /tmp, 1-2 GB each):
# issue #4's decode/prefill targets (llama.cpp CUDA: ~375 tok/s decode, ~40,000 tok/s prefill of 512) and
# issue #8's fp16 vs INT4 vs FP8 decode. An argument TYPE/direct runs TYPE with -Dflashj.cuda.graphs=false.
e2e() {
  echo "== end to end: flashj bench generate --device cuda, tinyllama-1.1b shape, prompt 512, 128 decoded tokens"
  for spec in "$@"; do
    local type=${spec%/direct} graphs=true
    [ "$spec" = "$type" ] || graphs=false
    echo "-- $type, CUDA graphs $graphs" | tee -a "$out/bench-generate.txt"
    timeout 150 "$java" "${flags[@]}" -Dflashj.cuda.graphs=$graphs -jar "$gpu/lib/flashj.jar" bench generate --device cuda \
      --shape tinyllama-1.1b --type "$type" --cache-dir /tmp/flashj-synthetic --prompt-tokens 512 -n 128 --runs 2 \
      2>> "$out/bench-generate-${type}-graphs-$graphs.err" | tee -a "$out/bench-generate.txt"
    tail -2 "$out/bench-generate-${type}-graphs-$graphs.err"
  done
}
graph_tests=(dev.flashj.cuda.runtime.CudaGraphTest dev.flashj.cuda.kernels.CudaDecodeStepKernelsTest
             dev.flashj.cuda.model.CudaDecodeGraphTest dev.flashj.cuda.model.CudaLlamaModelTest)
if [ "${1:-}" = graphs ]; then
  echo "== decode-graph GPU tests"
  timeout 240 "$java" "${flags[@]}" -cp "$cp" dev.flashj.cuda.GpuTestRunner "${graph_tests[@]}" > "$out/gpu-tests-graphs.log" 2>&1
  echo "tests exit $?" | tee -a "$out/gpu-tests-graphs.log"; tail -25 "$out/gpu-tests-graphs.log"
  # On, off, on: a clock that drifts during the three runs shows as a gap between the two "on" runs.
  e2e f16 f16/direct f16
  exit 0
fi
# Panama vs JNI (issue #9): FlashJ's CUDA driver binding against JCuda, and its OpenCL binding against JOCL on
# the NVIDIA OpenCL platform, in the same JVM (docs/perf/bindings.md).
bindings() {
  echo "== binding overhead (JMH): Panama vs JCuda, Panama vs JOCL"
  local bcp ocl
  bcp=$(ls "$gpu"/lib/flashj.jar "$gpu"/bench/*.jar | tr '\n' ':')
  # JOCL loads "libOpenCL.so"; drivers install libOpenCL.so.1.
  ocl=$(ldconfig -p 2>/dev/null | awk '/libOpenCL\.so\.1 /{print $NF; exit}')
  if [ -n "$ocl" ]; then mkdir -p /tmp/jocl-lib && ln -sf "$ocl" /tmp/jocl-lib/libOpenCL.so; fi
  LD_LIBRARY_PATH=/tmp/jocl-lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} timeout 300 "$java" -cp "$bcp" org.openjdk.jmh.Main 'CudaBindingOverheadBenchmark|BindingOverheadBenchmark' \
    -f 1 -wi 3 -i 5 -w 1 -r 1 -jvmArgsAppend "-Djava.io.tmpdir=/tmp" 2>&1 | tee "$out/bench-bindings.txt" | grep -E "^Benchmark|^(Cuda)?BindingOverhead"
}
if [ "${1:-}" = bindings ]; then
  bindings
  exit 0
fi
if [ "${1:-}" = quant ]; then
  echo "== quantized-weight GPU tests"
  timeout 200 "$java" "${flags[@]}" -cp "$cp" dev.flashj.cuda.GpuTestRunner "${quant_tests[@]}" > "$out/gpu-tests-quant.log" 2>&1
  echo "tests exit $?" | tee -a "$out/gpu-tests-quant.log"; tail -25 "$out/gpu-tests-quant.log"
  echo "== generate on cuda, Q4_0 weights kept quantized"
  timeout 60 "$java" "${flags[@]}" -jar "$gpu/lib/flashj.jar" generate -m "$gpu/testdata/derived/stories260K-Q4_0mix.gguf" \
    -p "Once upon a time" -n 48 --temperature 0 --device cuda > "$out/generate-q4_0.txt" 2>&1; cat "$out/generate-q4_0.txt"
  quant_bench
  e2e f16 int4-g128 fp8
  echo "== PyTorch reference"
  timeout 150 python3 "$gpu/gpu-torch-reference.py" 2>&1 | tee "$out/bench-torch.txt"
  exit 0
fi
echo "== flashj devices"; "$java" "${flags[@]}" -jar "$gpu/lib/flashj.jar" devices 2>&1 | tee "$out/devices.txt"
echo "== GPU tests"
timeout 300 "$java" "${flags[@]}" -cp "$cp" dev.flashj.cuda.GpuTestRunner > "$out/gpu-tests.log" 2>&1
echo "tests exit $?" | tee -a "$out/gpu-tests.log"; tail -25 "$out/gpu-tests.log"
echo "== generate on cuda"
timeout 60 "$java" "${flags[@]}" -jar "$gpu/lib/flashj.jar" generate -m "$gpu/testdata/stories260K.gguf" \
  -p "Once upon a time" -n 48 --temperature 0 --device cuda > "$out/generate.txt" 2>&1; cat "$out/generate.txt"
e2e f16 f16/direct int4-g128 fp8
echo "== FlashJ kernel benchmarks"
timeout 200 "$java" "${flags[@]}" -cp "$cp" dev.flashj.cuda.bench.CudaKernelBench 2>&1 | tee "$out/bench-flashj.txt"
quant_bench
echo "== PyTorch reference"
timeout 150 python3 "$gpu/gpu-torch-reference.py" 2>&1 | tee "$out/bench-torch.txt"
bindings
RUN
chmod +x "$gpu/run-checks.sh"
du -sh "$gpu" | awk '{print "gpu-check: .gpu/ holds " $1 " (at most 64 MiB may travel)"}'
echo "gpu-check: ready; on the GPU machine run: bash .gpu/run-checks.sh (logs in \$OUT)"
