#!/usr/bin/env bash
# The GPU check: builds the real CUDA backend for this machine's GPU only, runs the GPU tests
# (the gpu ctest label; with Open MPI installed it includes gan_train as one MPI rank averaging
# its gradients with NCCL on the GPU, tests/tools/test_distributed.cpp),
# compute-sanitizer memcheck on a subset of them, the convolution benchmarks (beside cuDNN when
# it is installed), and prints a table: kernel, shape, GFLOP/s, ratio to cuDNN, max rel. error.
#
#   tools/gpu_check.sh [--logs DIR] [--build DIR] [--bench-filter REGEX]
#   tools/gpu_check.sh --table BENCH_JSON     only print the table of an earlier benchmark run
#
# Full logs go to DIR (default gpu_check_logs/): configure.log, build.log, ctest.log,
# memcheck.log, bench.json, bench.log, table.txt. About 5-9 minutes on an H100.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
logs="gpu_check_logs"
build="$here/build-gpu"
bench_filter=""
table_only=""

die() { echo "gpu_check: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --logs) [[ $# -ge 2 ]] || die "--logs needs a directory"; logs="$2"; shift 2 ;;
    --build) [[ $# -ge 2 ]] || die "--build needs a directory"; build="$2"; shift 2 ;;
    --bench-filter) [[ $# -ge 2 ]] || die "--bench-filter needs a regex"; bench_filter="$2"; shift 2 ;;
    --table) [[ $# -ge 2 ]] || die "--table needs a benchmark JSON file"; table_only="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

step "ctest -L gpu"
ctest_status=0
(cd "$build" && ctest -L gpu --output-on-failure --no-tests=error -j 2 --timeout 300) >"$logs/ctest.log" 2>&1 || ctest_status=$?
tail -n 3 "$logs/ctest.log"
# A gpu test that skipped itself (exit 77: no device found) must not pass for a GPU check.
if grep -q "(Skipped)\|\*\*\*Skipped" "$logs/ctest.log"; then
  echo "gpu_check: some gpu tests were skipped (no usable device?): see $logs/ctest.log" >&2
  ctest_status=1
fi

step "compute-sanitizer memcheck (convolution and runtime tests)"
sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
memcheck_status=0
if [[ -x "$sanitizer" ]]; then
  "$sanitizer" --tool memcheck --error-exitcode 3 --leak-check no \
    "$build/bin/test_cuda" "[conv2d],[conv_transpose2d],[runtime]" >"$logs/memcheck.log" 2>&1 ||
    memcheck_status=$?
  tail -n 2 "$logs/memcheck.log"
else
  echo "compute-sanitizer not found: memcheck skipped" | tee "$logs/memcheck.log"
  memcheck_status=2
fi

step "benchmarks"
bench_status=0
bench_args=(--benchmark_format=console --benchmark_out="$logs/bench.json" --benchmark_out_format=json)
[[ -n "$bench_filter" ]] && bench_args+=(--benchmark_filter="$bench_filter")
"$build/bin/bench_conv_cuda" "${bench_args[@]}" >"$logs/bench.log" 2>&1 || bench_status=$?

step "table"
if [[ -s "$logs/bench.json" ]]; then
  print_table "$logs/bench.json" | tee "$logs/table.txt"
else
  echo "no benchmark output (see $logs/bench.log)"
  bench_status=${bench_status:-1}
  [[ $bench_status -eq 0 ]] && bench_status=1
fi

echo
echo "ctest: $([[ $ctest_status -eq 0 ]] && echo passed || echo "FAILED ($ctest_status)")," \
     "memcheck: $([[ $memcheck_status -eq 0 ]] && echo clean || echo "FAILED ($memcheck_status)")," \
     "benchmarks: $([[ $bench_status -eq 0 ]] && echo ran || echo "FAILED ($bench_status)")." \
     "Logs: $logs"
[[ $ctest_status -eq 0 && $memcheck_status -eq 0 && $bench_status -eq 0 ]]
