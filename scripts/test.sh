#!/usr/bin/env bash
# Builds (installing missing packages) and runs every test.
#   scripts/test.sh              the fast suite (everything but the checks labelled `long`)
#   FPGALLM_FULL=1 scripts/test.sh   also the long checks (full-size runs, minutes each)
#   scripts/test.sh --sanitize   the fast C++ suites built with ASan + UBSan in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
case "${1:-}" in
  "")
    scripts/setup.sh build
    cd build
    if [ "${FPGALLM_FULL:-0}" = "1" ]; then
      ctest --output-on-failure -j "$JOBS"
    else
      ctest --output-on-failure -j "$JOBS" -LE long
    fi
    ;;
  --sanitize)
    # -O1 with line tables only keeps the instrumented build and suite quick and stacks symbolised;
    # benchmarks are not built, nor the Python module (an instrumented extension cannot load into
    # Debian's uninstrumented python3).
    scripts/setup.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
      -DFPGALLM_SANITIZE=ON -DFPGALLM_BUILD_BENCHMARKS=OFF -DFPGALLM_BUILD_PYTHON=OFF
    # SystemC switches coroutine stacks, which ASan's fake stacks cannot follow; its deliberate
    # process-lifetime allocations are listed in scripts/lsan.supp.
    export ASAN_OPTIONS="detect_stack_use_after_return=0:abort_on_error=0:halt_on_error=1:detect_leaks=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp"
    cd build-asan
    # The GoogleTest suites (models, sim, dse, accel_hls); the pytest CLI suites keep timeouts sized
    # for release binaries, so they run in the normal build only.
    ctest --output-on-failure -j "$JOBS" -LE "long|python"
    ;;
  *)
    echo "usage: scripts/test.sh [--sanitize]" >&2
    exit 2
    ;;
esac
