#!/usr/bin/env bash
# Installs what ifq needs on Debian 12 (as root) and builds it into build/.
# Idempotent: re-running only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libpng-dev
  libtorch-dev libgoogle-perftools-dev   # trainer (the only LibTorch user)
  libgloo-dev                            # its data-parallel training (c10d Gloo headers)
  dataset-fashion-mnist                  # main job data
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm  # microcontroller export checks
  libstb-dev libopencv-dev opencv-data   # images; Haar and OpenCV DNN peers
  clang libclang-rt-14-dev               # sanitizer and libFuzzer builds (scripts/sanitize.sh, scripts/fuzz.sh)
  g++-aarch64-linux-gnu qemu-user        # AArch64 NEON kernels under qemu (scripts/test-aarch64.sh)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
# LibTorch translation units take ~1.4 GB each: two jobs fit the 2-core machines.
cmake --build build -j "${IFQ_JOBS:-2}"
