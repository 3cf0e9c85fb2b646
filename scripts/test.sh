#!/usr/bin/env bash
# Builds (installing missing packages) and runs every test. FPGALLM_FULL=1 also runs the long checks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
cd build
if [ "${FPGALLM_FULL:-0}" = "1" ]; then
  ctest --output-on-failure -j "${JOBS:-$(nproc)}"
else
  ctest --output-on-failure -j "${JOBS:-$(nproc)}" -LE long
fi
