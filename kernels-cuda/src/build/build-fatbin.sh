#!/usr/bin/env bash
# Compiles src/main/cuda/*.cu into one fatbin resource (cubins for sm_80, sm_86, sm_89, sm_90a and
# compute_80 PTX for newer GPUs), called by Maven in generate-resources.
#
#   build-fatbin.sh SOURCE_DIR RESOURCE_DIR LOG_FILE SKIP(true|false)
#
# All .cu files go into one translation unit (so one module holds every kernel and each file is compiled
# once per architecture); the five targets compile in parallel. Warnings are errors. ptxas -v output
# (registers, spills, shared memory per kernel) is kept in LOG_FILE. When the sources, flags and
# nvcc version match the last build, nothing is recompiled. Without nvcc (or with SKIP=true) the module
# still builds: kernels.properties then says why there are no kernels.
set -euo pipefail

src_dir=$1
out_dir=$2/dev/flashj/cuda
log=$3
skip=${4:-false}
work=$(dirname "$log")/cuda-build
mkdir -p "$out_dir" "$work"

cubin_archs="80 86 89 90a"
ptx_arch=80
common_flags=(-std=c++17 -O3 -Werror all-warnings -Xptxas -v -Xptxas -warn-spills -Xptxas -Werror
  --expt-relaxed-constexpr -Xcompiler -Wall)

write_properties() { # status reason
  {
    echo "# Written by src/build/build-fatbin.sh"
    echo "status=$1"
    echo "reason=$2"
    echo "archs=sm_${cubin_archs// /,sm_},compute_$ptx_arch"
    echo "nvcc=${nvcc_version:-none}"
  } > "$out_dir/kernels.properties"
}

if [[ "$skip" == "true" ]]; then
  rm -f "$out_dir/flashj-kernels.fatbin"
  write_properties skipped "built without CUDA kernels (-Dflashj.cuda.skip=true)"
  echo "CUDA kernels skipped (-Dflashj.cuda.skip=true)" | tee "$log"
  exit 0
fi
if ! command -v nvcc > /dev/null 2>&1; then
  rm -f "$out_dir/flashj-kernels.fatbin"
  write_properties skipped "built without CUDA kernels (nvcc was not on the PATH at build time)"
  echo "CUDA kernels skipped: nvcc not on the PATH" | tee "$log"
  exit 0
fi
nvcc_version=$(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')

sources=("$src_dir"/*.cu)
stamp=$( { cat "$0"; printf '%s\n' "${common_flags[@]}" "$nvcc_version"; cat "$src_dir"/*.cu "$src_dir"/*.cuh 2>/dev/null; } \
  | sha256sum | cut -d' ' -f1)
if [[ -f "$out_dir/flashj-kernels.fatbin" && -f "$work/stamp" && "$(cat "$work/stamp")" == "$stamp" ]]; then
  echo "CUDA kernels up to date (sources unchanged; $log kept)"
  exit 0
fi

unity="$work/flashj_kernels.cu"
{
  echo "// Generated: every kernel source in one translation unit, so one module holds them all."
  for f in "${sources[@]}"; do echo "#include \"$(realpath "$f")\""; done
} > "$unity"

compile_one() { # target
  local target=$1
  if [[ "$target" == ptx ]]; then
    nvcc "${common_flags[@]}" -I"$src_dir" -arch=compute_$ptx_arch -ptx -o "$work/kernels.ptx" "$unity" \
      > "$work/ptx.log" 2>&1
  else
    nvcc "${common_flags[@]}" -I"$src_dir" -gencode arch=compute_$target,code=sm_$target \
      -cubin -o "$work/kernels.sm_$target.cubin" "$unity" > "$work/sm_$target.log" 2>&1
  fi
}
export -f compile_one
export src_dir work unity ptx_arch
export common_flags_string="${common_flags[*]}"

started=$(date +%s)
jobs=$(nproc 2>/dev/null || echo 2)
failed=0
pids=()
targets=($cubin_archs ptx)
# At most $jobs compilers at a time (CI has 2 cores).
for t in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || failed=1; done
  ( common_flags=($common_flags_string); compile_one "$t" ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done

{
  echo "FlashJ CUDA build: nvcc $nvcc_version, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(( $(date +%s) - started )) s with $jobs parallel jobs"
  echo "flags: ${common_flags[*]}"
  for t in $cubin_archs; do echo "=== sm_$t"; cat "$work/sm_$t.log" 2>/dev/null || true; done
  echo "=== compute_$ptx_arch (PTX)"; cat "$work/ptx.log" 2>/dev/null || true
} > "$log"

if (( failed )); then
  cat "$log" >&2
  echo "nvcc failed; see $log" >&2
  exit 1
fi

images=()
for t in $cubin_archs; do images+=("--image3=kind=elf,sm=${t%a},file=$work/kernels.sm_$t.cubin"); done
images+=("--image3=kind=ptx,sm=$ptx_arch,file=$work/kernels.ptx")
fatbinary --64 --create="$work/flashj-kernels.fatbin" "${images[@]}"
cp "$work/flashj-kernels.fatbin" "$out_dir/flashj-kernels.fatbin"
write_properties built "kernels for sm_${cubin_archs// /, sm_} and compute_$ptx_arch PTX"
echo "$stamp" > "$work/stamp"
echo "CUDA kernels built in $(( $(date +%s) - started )) s ($(stat -c %s "$out_dir/flashj-kernels.fatbin") bytes); ptxas report in $log"
