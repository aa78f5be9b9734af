#!/usr/bin/env bash
# Builds the project with AddressSanitizer + UndefinedBehaviorSanitizer (GAN_SANITIZE) and the CUDA
# emulator, then runs the cpu and cuda-emu test suites under them. Any sanitizer report fails the
# test that triggered it (halt_on_error), so a clean ctest summary means a clean run.
#   tools/sanitize.sh                 default compiler, build-asan/
#   tools/sanitize.sh --fuzz          clang, build-fuzz/: the same build also holds the libFuzzer
#                                     targets that tools/fuzz.sh runs (CI: one build for both)
#   tools/sanitize.sh --no-test [--target T]   configure and build only (tools/fuzz.sh uses this)
#   JOBS=2 tools/sanitize.sh          parallelism of build and ctest (default: all cores)
#   BUILD_DIR=... tools/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz=0 run_tests=1 target=()
while (($#)); do
  case $1 in
    --fuzz) fuzz=1 ;;
    --no-test) run_tests=0 ;;
    --target) target=(--target "$2"); shift ;;
    *) echo "tools/sanitize.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
JOBS=${JOBS:-$(nproc)}

fuzz_args=()
if ((fuzz)); then
  # libFuzzer ships with clang; clang's OpenMP runtime is libomp.
  GAN_SETUP_EXTRA="clang libomp-dev ${GAN_SETUP_EXTRA:-}" tools/setup.sh
  export CC=clang CXX=clang++
  BUILD=${BUILD_DIR:-build-fuzz}
  fuzz_args=(-DGAN_FUZZ=ON)
else
  tools/setup.sh
  BUILD=${BUILD_DIR:-build-asan}
fi

# -O2 keeps the suite fast under ASan; -g1 gives file:line in the reports at little build cost.
cmake -S . -B "$BUILD" -DGAN_SANITIZE=ON -DGAN_CUDA=OFF -DGAN_CUDA_EMU=ON -DGAN_BUILD_BENCH=OFF \
  "${fuzz_args[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
start=$(date +%s)
cmake --build "$BUILD" -j"$JOBS" "${target[@]}"
echo "sanitizer build ($BUILD): $(( $(date +%s) - start )) s"
((run_tests)) || exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:check_initialization_order=1:detect_invalid_pointer_pairs=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Tests that run the tools see the same options through the environment.
start=$(date +%s)
ctest --test-dir "$BUILD" -L 'cpu|cuda-emu' -j"$JOBS" --output-on-failure
echo "sanitizer suite: $(( $(date +%s) - start )) s"
