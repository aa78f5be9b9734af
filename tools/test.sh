#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test. Exit code: 0 only if everything passed.
#   tools/test.sh                 the full suite (cpu + cuda-emu labels) in build/
#   GAN_TEST_LABEL=cpu tools/test.sh   only one ctest label
# With nvcc present it also compiles the real CUDA build (sm_80, sm_90 + PTX) in build-cuda/ and
# checks every kernel's registers for spills (tools/ptxas_report.sh, under a minute on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

tools/setup.sh

echo "== configure + build (build/: cpu, cuda device emulated on the CPU)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGAN_CUDA=OFF -DGAN_CUDA_EMU=ON
cmake --build build -j "$jobs"

echo "== tests"
label_args=()
[[ -n ${GAN_TEST_LABEL:-} ]] && label_args=(-L "$GAN_TEST_LABEL")
(cd build && ctest --output-on-failure -j "$jobs" "${label_args[@]}")

nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
if [[ -x $nvcc && ${GAN_SKIP_CUDA_BUILD:-0} != 1 ]]; then
  echo "== real CUDA build (build-cuda/: compile only, no GPU needed)"
  cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DGAN_CUDA=ON -DGAN_CUDA_EMU=OFF \
    -DCMAKE_CUDA_COMPILER="$nvcc" -DGAN_BUILD_BENCH=ON
  cmake --build build-cuda -j "$jobs"
  echo "== kernel resources (tools/ptxas_report.sh: registers, spills, shared memory, sm_90 occupancy)"
  # Fails when a kernel spills registers; the table is kept in build-cuda/ptxas_report.md.
  tools/ptxas_report.sh --jobs "$jobs" --out build-cuda/ptxas_report.md
  if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    echo "== gpu tests"
    (cd build-cuda && ctest --output-on-failure -L gpu)
  fi
fi
echo "tools/test.sh: all tests passed ($root)"
