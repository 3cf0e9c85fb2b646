#!/usr/bin/env bash
# Installs the Debian packages fpgallm needs (only those missing), then configures and builds.
# Usage: scripts/setup.sh [build-dir] [extra cmake arguments...]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true
CMAKE_EXTRA_ARGS=("$@")
PKGS=(build-essential cmake pkg-config git ccache
      libsystemc-dev libyaml-cpp-dev libeigen3-dev libfmt-dev libbenchmark-dev googletest libgtest-dev
      pybind11-dev libcli11-dev nlohmann-json3-dev libicu-dev libxxhash-dev g++-aarch64-linux-gnu qemu-user
      device-tree-compiler xilinx-bootgen tcl libtinyxml2-dev
      python3-numpy python3-pandas python3-matplotlib python3-pytest python3-yaml python3-nbclient python3-ipykernel
      python3-distributed python3-tqdm python3-optuna)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
JOBS=${JOBS:-$(nproc)}
# ccache makes rebuilds (and other checkouts of the same sources) cheap; paths below the tree are
# hashed relative to it so that two checkouts share hits.
LAUNCHER=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$PWD"
  # Debug-info builds (sanitizers, fuzzers) would otherwise hash the build folder and miss in
  # every fresh clone.
  export CCACHE_NOHASHDIR=1
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 -DFPGALLM_BUILD_PYTHON=ON "${LAUNCHER[@]}" \
      "${CMAKE_EXTRA_ARGS[@]}" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
