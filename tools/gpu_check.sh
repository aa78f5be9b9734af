#!/usr/bin/env bash
# The GPU check: builds the real CUDA backend for this machine's GPU only, runs the GPU tests
# (the gpu ctest label; with Open MPI installed it includes gan_train as one MPI rank averaging
# its gradients with NCCL on the GPU, tests/tools/test_distributed.cpp), compute-sanitizer
# memcheck and racecheck on the convolution and runtime tests, the convolution benchmarks (every
# variant, FP32 and TF32, beside cuDNN's FP32 and TF32 when it is installed), and the training
# step (bench_step --device cuda) of the four configurations of docs/performance.md in both conv
# maths. Prints two tables: per convolution kernel and shape GFLOP/s, ratio to cuDNN and max rel.
# error; per step configuration seconds and GFLOP/s.
#
#   tools/gpu_check.sh [--logs DIR] [--build DIR] [--bench-filter REGEX] [--skip LIST]
#   tools/gpu_check.sh --table BENCH_JSON     only print the table of an earlier benchmark run
#
# --skip takes a comma-separated list of steps to leave out: tests, memcheck, racecheck, bench,
# step (e.g. --skip racecheck,step when time is short; the build is incremental, so a second
# call after a timeout only reruns what is left).
# Full logs go to DIR (default gpu_check_logs/): configure.log, build.log, ctest.log,
# memcheck.log, racecheck.log, bench.json, bench.log, table.txt, step_*.log, steps.txt.
# Estimated 6-8 minutes on an H200 (build 2-3, tests 1, memcheck 1, racecheck 1-2, conv
# benchmarks 1-2, steps < 1); every step prints its start time.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
logs="gpu_check_logs"
build="$here/build-gpu"
bench_filter=""
table_only=""
skip=""

die() { echo "gpu_check: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --logs) [[ $# -ge 2 ]] || die "--logs needs a directory"; logs="$2"; shift 2 ;;
    --build) [[ $# -ge 2 ]] || die "--build needs a directory"; build="$2"; shift 2 ;;
    --bench-filter) [[ $# -ge 2 ]] || die "--bench-filter needs a regex"; bench_filter="$2"; shift 2 ;;
    --table) [[ $# -ge 2 ]] || die "--table needs a benchmark JSON file"; table_only="$2"; shift 2 ;;
    --skip) [[ $# -ge 2 ]] || die "--skip needs a list"; skip=",$2,"; shift 2 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# The table of a Google Benchmark JSON file (--benchmark_format=json; one key per line, as the
# library writes it). Rows: kernel (name), shape (label), GFLOP/s, vs cuDNN, max rel. error;
# benchmarks that failed show their error message.
print_table() {
  local json="$1"
  [[ -r "$json" ]] || die "cannot read benchmark output '$json'"
  awk '
    function val(line) { sub(/^[^:]*:[ \t]*/, "", line); sub(/,[ \t]*$/, "", line); gsub(/^"|"$/, "", line); return line }
    function flush() {
      if (name == "") return
      if (err != "") printf "%-34s %-30s %s\n", name, label, "ERROR: " err
      else printf "%-34s %-30s %10s %9s %12s\n", name, label, gflops, ratio, relerr
      rows++
      name = ""; label = ""; gflops = "-"; ratio = "-"; relerr = "-"; err = ""
    }
    BEGIN {
      printf "%-34s %-30s %10s %9s %12s\n", "kernel", "shape", "GFLOP/s", "vs cuDNN", "max rel err"
      gflops = "-"; ratio = "-"; relerr = "-"
    }
    /"benchmarks"[ \t]*:/ { inside = 1; next }
    !inside { next }
    /^[ \t]*"name"[ \t]*:/ { flush(); name = val($0); next }
    /^[ \t]*"label"[ \t]*:/ { label = val($0); next }
    /^[ \t]*"GFLOP\/s"[ \t]*:/ { gflops = sprintf("%.1f", val($0)); next }
    /^[ \t]*"vs_cudnn"[ \t]*:/ { ratio = sprintf("%.2f", val($0)); next }
    /^[ \t]*"max_rel_err"[ \t]*:/ { relerr = sprintf("%.2e", val($0)); next }
    /^[ \t]*"error_message"[ \t]*:/ { err = val($0); next }
    END {
      flush()
      if (rows == 0) { print "gpu_check: no benchmark results in the file" > "/dev/stderr"; exit 1 }
    }
  ' "$json"
}

if [[ -n "$table_only" ]]; then
  print_table "$table_only"
  exit 0
fi

mkdir -p "$logs"
logs="$(cd "$logs" && pwd)"
step() { echo "== $* ($(date +%H:%M:%S))"; }
wanted() { [[ "$skip" != *",$1,"* ]]; }

command -v nvidia-smi >/dev/null || die "nvidia-smi not found: this check needs an NVIDIA GPU and driver"
cap="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -n1 | tr -d ' .')"
[[ "$cap" =~ ^[0-9]+$ ]] || die "could not read the GPU's compute capability (got '$cap')"
gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n1)"
nvcc="${CUDACXX:-/usr/local/cuda/bin/nvcc}"
[[ -x "$nvcc" ]] || nvcc="$(command -v nvcc || true)"
[[ -n "$nvcc" && -x "$nvcc" ]] || die "nvcc not found (set CUDACXX)"
echo "GPU: $gpu (sm_$cap), nvcc: $nvcc, logs: $logs"

jobs="$(nproc 2>/dev/null || echo 4)"

step "configure (sm_$cap only)"
cmake -S "$here" -B "$build" -DGAN_CUDA=ON -DGAN_CUDA_EMU=OFF -DCMAKE_CUDA_COMPILER="$nvcc" \
  -DCMAKE_CUDA_ARCHITECTURES="$cap" -DGAN_BUILD_TESTS=ON -DGAN_BUILD_BENCH=ON \
  >"$logs/configure.log" 2>&1 || die "configure failed, see $logs/configure.log"
grep -E "^-- gan:" "$logs/configure.log" || true

step "build"
cmake --build "$build" -j "$jobs" >"$logs/build.log" 2>&1 || die "build failed, see $logs/build.log"

ctest_status=0
if wanted tests; then
  step "ctest -L gpu"
  (cd "$build" && ctest -L gpu --output-on-failure --no-tests=error -j 2 --timeout 300) >"$logs/ctest.log" 2>&1 || ctest_status=$?
  tail -n 3 "$logs/ctest.log"
  # A gpu test that skipped itself (exit 77: no device found) must not pass for a GPU check.
  if grep -q "(Skipped)\|\*\*\*Skipped" "$logs/ctest.log"; then
    echo "gpu_check: some gpu tests were skipped (no usable device?): see $logs/ctest.log" >&2
    ctest_status=1
  fi
fi

# compute-sanitizer on the convolution (every variant, TF32 included) and runtime tests: memcheck
# (out-of-bounds and misaligned accesses) and racecheck (shared-memory hazards between threads of
# a block: a missing __syncthreads or __syncwarp).
sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
sanitize() {  # tool -> exit status in the variable named <tool>_status
  local tool="$1" status=0
  step "compute-sanitizer $tool (convolution and runtime tests)"
  if [[ -x "$sanitizer" ]]; then
    local extra=()
    [[ $tool == memcheck ]] && extra=(--leak-check no)
    "$sanitizer" --tool "$tool" --error-exitcode 3 "${extra[@]}" \
      "$build/bin/test_cuda" "[conv2d],[conv_transpose2d],[runtime]" >"$logs/$tool.log" 2>&1 ||
      status=$?
    tail -n 2 "$logs/$tool.log"
  else
    echo "compute-sanitizer not found: $tool skipped" | tee "$logs/$tool.log"
    status=2
  fi
  printf -v "${tool}_status" '%s' "$status"
}
memcheck_status=0
racecheck_status=0
wanted memcheck && sanitize memcheck
wanted racecheck && sanitize racecheck

bench_status=0
if wanted bench; then
  step "convolution benchmarks"
  bench_args=(--benchmark_format=console --benchmark_out="$logs/bench.json" --benchmark_out_format=json)
  [[ -n "$bench_filter" ]] && bench_args+=(--benchmark_filter="$bench_filter")
  "$build/bin/bench_conv_cuda" "${bench_args[@]}" >"$logs/bench.log" 2>&1 || bench_status=$?

  step "table"
  if [[ -s "$logs/bench.json" ]]; then
    print_table "$logs/bench.json" | tee "$logs/table.txt"
  else
    echo "no benchmark output (see $logs/bench.log)"
    [[ $bench_status -eq 0 ]] && bench_status=1
  fi
fi

# The training step on the GPU: the four configurations of docs/performance.md, FP32 and TF32
# convolutions. Steps per run as in docs/performance.md's CPU runs, fewer for the large ones.
step_status=0
if wanted step; then
  step "bench_step --device cuda (4 configurations x fp32, tf32)"
  printf "%-14s %-5s %10s %10s %10s\n" "config" "math" "s/step" "min" "GFLOP/s" | tee "$logs/steps.txt"
  for cfg in "unet 128 32 20" "resnet 128 32 20" "unet 256 64 10" "resnet 256 64 10"; do
    read -r gen size width steps <<<"$cfg"
    for math in fp32 tf32; do
      log="$logs/step_${gen}${size}_${math}.log"
      if "$build/bin/bench_step" --device cuda --gen "$gen" --size "$size" --ngf "$width" \
           --ndf "$width" --steps "$steps" --threads 2 --conv-math "$math" >"$log" 2>&1; then
        awk -v name="$gen $size/$width" -v math="$math" '
          /^sec\/step/ { for (i = 1; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] } }
          /GFLOP\/s$/ { g = $(NF - 1) }
          END { printf "%-14s %-5s %10s %10s %10s\n", name, math, v["median"], v["min"], g }
        ' "$log" | tee -a "$logs/steps.txt"
      else
        printf "%-14s %-5s FAILED (see %s)\n" "$gen $size/$width" "$math" "$log" | tee -a "$logs/steps.txt"
        step_status=1
      fi
    done
  done
fi

echo
verdict() { if ! wanted "$1"; then echo skipped; elif [[ $2 -eq 0 ]]; then echo "$3"; else echo "FAILED ($2)"; fi; }
echo "ctest: $(verdict tests $ctest_status passed)," \
     "memcheck: $(verdict memcheck $memcheck_status clean)," \
     "racecheck: $(verdict racecheck $racecheck_status clean)," \
     "benchmarks: $(verdict bench $bench_status ran)," \
     "steps: $(verdict step $step_status ran)." \
     "Logs: $logs"
[[ $ctest_status -eq 0 && $memcheck_status -eq 0 && $racecheck_status -eq 0 && $bench_status -eq 0 &&
   $step_status -eq 0 ]]
