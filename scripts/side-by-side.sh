#!/usr/bin/env bash
# FlashJ's op suite on CUDA side by side with PyTorch on the same shapes, in one run on the GPU machine.
#
# On the development machine (JDK 25, Maven wrapper):
#   scripts/side-by-side.sh prepare
#     builds cli/target/flashj.jar (with the nvcc-built fatbin) and puts it, with a jlink'd JDK 25
#     runtime, under .gpu/ (git-ignored; about 30 MB).
# On the GPU machine (no Java there; carry .gpu, e.g. the session's `run` tool with carry [".gpu"]):
#   bash scripts/side-by-side.sh run
#     0. flashj bench --device cuda --cases scripts/cuda-smoke-cases.txt: every CUDA case, f16 and bf16, on small
#        awkward shapes, checked against float64 (stops here when one fails)
#     1. flashj bench --device cuda --cases scripts/side-by-side-cases.txt --json $OUT/ours.json
#     2. python3 scripts/torch_reference.py on the same cases --json $OUT/reference.json (when PyTorch
#        imports and sees the GPU; otherwise it says so and the table gets FlashJ's columns only)
#     3. flashj bench compare --ours ... [--reference ...] --write $OUT/h100.md, a copy of
#        docs/perf/h100.md whose generated block (between the marker comments) is replaced
#   Every log and JSON lands in $OUT (.gpu/out when $OUT is unset).
# Back on the development machine: copy h100.md over docs/perf/h100.md, or rebuild the block from the
# two JSON files: ./flashj bench compare --ours ours.json --reference reference.json --write docs/perf/h100.md
#
# Environment: CASES (default scripts/side-by-side-cases.txt), BENCH_ARGS (extra flashj bench options),
# DEVICE (default cuda; DEVICE=cpu with a small CASES file smoke-tests the whole script on any machine).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gpu="$root/.gpu"
cases=${CASES:-$root/scripts/side-by-side-cases.txt}
device=${DEVICE:-cuda}

prepare() {
  . "$root/scripts/find-jdk.sh"
  flashj_find_jdk || exit 1
  export JAVA_HOME="$FLASHJ_JAVA_HOME"
  mkdir -p "$gpu/lib"
  echo "side-by-side: building flashj.jar (tests skipped)..."
  (cd "$root" && ./mvnw -o -B -q -DskipTests -pl cli -am package)
  if [ ! -f "$root/kernels-cuda/target/classes/dev/flashj/cuda/flashj-kernels.fatbin" ]; then
    echo "side-by-side: no fatbin was built (nvcc missing or -Dflashj.cuda.skip=true): --device cuda would fail there" >&2
    exit 1
  fi
  if [ ! -f "$gpu/jre25.tgz" ]; then
    echo "side-by-side: jlink runtime..."
    rm -rf /tmp/flashj-jre25
    "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,java.management,jdk.unsupported,java.net.http,jdk.httpserver,java.xml,jdk.zipfs \
      --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output /tmp/flashj-jre25
    tar czf "$gpu/jre25.tgz" -C /tmp flashj-jre25
    rm -rf /tmp/flashj-jre25
  fi
  cp "$root/cli/target/flashj.jar" "$gpu/lib/flashj.jar"
  du -sh "$gpu" | awk '{print "side-by-side: .gpu/ holds " $1 " (at most 64 MiB may travel)"}'
  echo "side-by-side: ready; on the GPU machine: bash scripts/side-by-side.sh run   (carry .gpu)"
}

run() {
  out=${OUT:-$gpu/out}
  mkdir -p "$out"
  if [ ! -f "$gpu/jre25.tgz" ] || [ ! -f "$gpu/lib/flashj.jar" ]; then
    echo "side-by-side: .gpu/jre25.tgz or .gpu/lib/flashj.jar missing: run 'scripts/side-by-side.sh prepare' first" >&2
    exit 1
  fi
  tar xzf "$gpu/jre25.tgz" -C /tmp
  flashj=(/tmp/flashj-jre25/bin/java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector
          -Djava.io.tmpdir=/tmp -jar "$gpu/lib/flashj.jar")
  { nvidia-smi; nvcc --version; } > "$out/machine.txt" 2>&1 || true
  commit=$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)

  echo "== 0. correctness first: every CUDA case in f16 and bf16 on small awkward shapes"
  smoke=0
  timeout 120 "${flashj[@]}" bench --device "$device" --cases "$root/scripts/cuda-smoke-cases.txt" --runs 3 --min-runs 1 \
    --warmup 1 --warmup-seconds 0 --small-ceilings --json "$out/smoke.json" > "$out/smoke.txt" 2> "$out/smoke.err" || smoke=$?
  cat "$out/smoke.txt"; tail -3 "$out/smoke.err"
  if [ "$smoke" -ne 0 ]; then
    echo "side-by-side: a CUDA case failed its check on small shapes (exit $smoke); see smoke.err. Not timing wrong kernels." >&2
    exit 1
  fi

  echo "== 1. flashj bench --device $device --cases $(basename "$cases")"
  status=0
  # shellcheck disable=SC2086
  timeout 420 "${flashj[@]}" bench --device "$device" --cases "$cases" --json "$out/ours.json" --csv "$out/ours.csv" \
    ${BENCH_ARGS:-} > "$out/ours.txt" 2> "$out/ours.err" || status=$?
  cat "$out/ours.txt"; tail -5 "$out/ours.err"
  if [ "$status" -ne 0 ] || [ ! -f "$out/ours.json" ]; then
    echo "side-by-side: flashj bench failed (exit $status); see ours.err" >&2
    exit 1
  fi

  echo "== 2. PyTorch reference on the same cases"
  notes=(--note "Run $(date -u +%Y-%m-%dT%H:%MZ), commit $commit: scripts/side-by-side.sh with $(basename "$cases"), FlashJ first, then PyTorch, on the same machine ($device) in one session.")
  reference=()
  ref_status=0
  timeout 420 python3 "$root/scripts/torch_reference.py" --cases "$cases" --json "$out/reference.json" \
    > "$out/reference.txt" 2> "$out/reference.err" || ref_status=$?
  cat "$out/reference.txt"; tail -5 "$out/reference.err"
  if [ "$ref_status" -eq 0 ] && [ -f "$out/reference.json" ]; then
    reference=(--reference "$out/reference.json")
  else
    why=$(grep -m1 'torch_reference:' "$out/reference.err" || tail -1 "$out/reference.err" || true)
    notes+=(--note "No PyTorch column: the reference script exited $ref_status (${why:-no message}).")
  fi

  echo "== 3. side-by-side table into h100.md"
  cp "$root/docs/perf/h100.md" "$out/h100.md"
  "${flashj[@]}" bench compare --ours "$out/ours.json" "${reference[@]}" --write "$out/h100.md" "${notes[@]}"
  "${flashj[@]}" bench compare --ours "$out/ours.json" "${reference[@]}" "${notes[@]}" > "$out/side-by-side.md"
  cat "$out/side-by-side.md"
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: scripts/side-by-side.sh prepare|run   (see the comments at the top)" >&2; exit 2 ;;
esac
