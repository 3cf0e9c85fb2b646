#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (in build-fuzz/) and replays every target's committed
# corpus: seeds plus the minimised crashers kept as regression inputs. Exits non-zero on any crash.
#   scripts/fuzz.sh                          build + replay all corpora (what CI runs)
#   scripts/fuzz.sh --run SECONDS [target..] build + fuzz each target (all by default) in turn
# Fuzzing writes new inputs to build-fuzz/work/<target>/ and crashers to
# build-fuzz/work/<target>-crash-*; the committed corpus (tests/fuzz/corpus/) is only read.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${JOBS:-$(nproc)}

RUN_SECONDS=""
if [[ "${1:-}" == "--run" ]]; then
  [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [--run SECONDS [target...]]" >&2; exit 2; }
  RUN_SECONDS=$2
  shift 2
elif (($#)); then
  echo "usage: scripts/fuzz.sh [--run SECONDS [target...]]" >&2
  exit 2
fi

# clang + its runtime libraries (libFuzzer, ASan, UBSan); only those missing are installed.
PKGS=(clang libclang-rt-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "fuzz: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

LAUNCHER=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$PWD"
  # Debug-info builds (sanitizers, fuzzers) would otherwise hash the build folder and miss in
  # every fresh clone.
  export CCACHE_NOHASHDIR=1
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$BUILD_DIR" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release \
      -DFPGALLM_BUILD_FUZZERS=ON -DFPGALLM_BUILD_TESTS=OFF -DFPGALLM_BUILD_BENCHMARKS=OFF \
      -DPython3_EXECUTABLE=/usr/bin/python3 "${LAUNCHER[@]}" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target fuzzers

CORPUS=tests/fuzz/corpus
BIN=$BUILD_DIR/tests/fuzz
if (($#)); then
  targets=("$@")
else
  targets=()
  for d in "$CORPUS"/*/; do targets+=("fuzz_$(basename "$d")"); done
fi

# The targets write each input to files under this folder (in RAM when /dev/shm exists).
SHM=/dev/shm; [ -d $SHM ] || SHM=${TMPDIR:-/tmp}
export FPGALLM_FUZZ_SCRATCH=$(mktemp -d "$SHM/fpgallm-fuzz.XXXXXX")
trap 'rm -rf "$FPGALLM_FUZZ_SCRATCH"' EXIT

status=0
for t in "${targets[@]}"; do
  corpus=$CORPUS/${t#fuzz_}
  [[ -x $BIN/$t && -d $corpus ]] || { echo "$t: no such fuzz target (or no $corpus)" >&2; exit 2; }
  log=$BUILD_DIR/$t.log
  if [[ -z $RUN_SECONDS ]]; then
    n=$(find "$corpus" -type f | wc -l)
    if "$BIN/$t" -runs=0 -timeout=10 -rss_limit_mb=2048 "$corpus" >"$log" 2>&1; then
      echo "$t: $n inputs replayed, ok"
    else
      echo "$t: FAILED replaying $corpus (log: $log)"
      tail -n 40 "$log"
      status=1
    fi
  else
    work=$BUILD_DIR/work/$t
    mkdir -p "$work"
    if "$BIN/$t" -max_total_time="$RUN_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
         -artifact_prefix="$work-" "$work" "$corpus" >"$log" 2>&1; then
      execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
      echo "$t: ${RUN_SECONDS}s, $execs executions, no crash (log: $log)"
    else
      echo "$t: CRASH after fuzzing (log: $log; input: $(ls "$work"-* 2>/dev/null | head -n 1))"
      tail -n 40 "$log"
      status=1
    fi
  fi
done
exit $status
