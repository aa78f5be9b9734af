#!/usr/bin/env bash
# Builds the project with AddressSanitizer + UndefinedBehaviorSanitizer (GAN_SANITIZE) and the CUDA
# emulator in build-asan, then runs the cpu and cuda-emu test suites under them. Any sanitizer
# report fails the test that triggered it (halt_on_error), so a clean ctest summary means a clean run.
#   tools/sanitize.sh            # configure, build, test
#   JOBS=2 tools/sanitize.sh     # parallelism of build and ctest (default: all cores)
#   BUILD_DIR=... tools/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build-asan}
JOBS=${JOBS:-$(nproc)}

# -O2 keeps the suite fast under ASan; -g1 gives file:line in the reports at little build cost.
cmake -S . -B "$BUILD" -DGAN_SANITIZE=ON -DGAN_CUDA_EMU=ON -DGAN_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
cmake --build "$BUILD" -j"$JOBS"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:check_initialization_order=1:detect_invalid_pointer_pairs=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Tests that run the tools see the same options through the environment.
start=$(date +%s)
ctest --test-dir "$BUILD" -L 'cpu|cuda-emu' -j"$JOBS" --output-on-failure
echo "sanitizer suite: $(( $(date +%s) - start )) s"
