#!/usr/bin/env bash
# Installs the Debian packages this project builds with. Idempotent: skips what is installed.
#   tools/setup.sh            build + test dependencies
#   GAN_SETUP_EXTRA="pkg ..." tools/setup.sh   also installs these (e.g. fuzzing extras)
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libeigen3-dev        # CPU math (GEMM, vectorised array ops)
  libstb-dev           # PNG/JPEG/BMP read and PNG write
  catch2               # unit tests (v2)
  libbenchmark-dev     # microbenchmarks
  zlib1g-dev           # .nii.gz
  libcli11-dev         # command-line parsing
  nlohmann-json3-dev   # safetensors header, config.json, eval reports
  libniftiio-dev libnifti2-dev  # NIfTI volumes (nifti1.h and znzlib come with libnifti2-dev)
  libgif-dev           # progress.gif
  libgdcm-dev libgdcm-tools  # DICOM series (GDCM; the tools package completes its CMake config)
  ccache               # faster rebuilds
  openmpi-bin libopenmpi-dev  # data-parallel gan_train under mpirun (docs/distributed.md) and its tests
)
# shellcheck disable=SC2206
[[ -n ${GAN_SETUP_EXTRA:-} ]] && packages+=($GAN_SETUP_EXTRA)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo
  else
    echo "setup: need root to install packages; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else SUDO=""; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
