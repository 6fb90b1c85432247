#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ (the mdn library and
# the harnesses all instrumented for coverage, ASan and UBSan) and runs each
# for a while from its checked-in seed corpus.
#   tools/scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]   default 60, every target
# Targets: csv model checkpoint cli (tests/fuzz/). Each run prints its final
# coverage (cov: edges, ft: features). A run fails when it finds a crash, leak,
# hang or sanitizer report, or when its coverage is below the floor in
# tests/fuzz/coverage_floors.txt (a blind build, one that does not instrument
# the library, stays far below). A crash leaves its input as
# build-fuzz/crash-* (leak-*, timeout-*): turn it into a regression test and
# add it to tests/fuzz/corpus/TARGET/. New inputs go to
# build-fuzz/corpus-TARGET; the checked-in corpus is only read.
# Exit status: 0 clean, 1 a finding or coverage under the floor, 77 clang missing (skip).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv model checkpoint cli)
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (apt-get install clang); skipping" >&2
  exit 77
fi
generator=()
command -v ninja >/dev/null && [ ! -f build-fuzz/Makefile ] && generator=(-G Ninja)
cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DMDN_ENABLE_CUDA=OFF -DMDN_BUILD_TESTS=OFF -DMDN_BUILD_BENCH=OFF -DMDN_BUILD_FUZZERS=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/#/mdn_fuzz_}" >/dev/null

floor_of() {  # the cov: floor of a target, 0 when none is set
  awk -v t="$1" '$1 == t { print $2; found = 1 } END { if (!found) print 0 }' tests/fuzz/coverage_floors.txt
}
max_len_of() {
  case "$1" in
    model | checkpoint) echo 65536 ;;
    *) echo 4096 ;;
  esac
}

failed=0
for target in "${targets[@]}"; do
  work=build-fuzz/corpus-$target
  log=build-fuzz/fuzz-$target.log
  mkdir -p "$work"
  dict=()
  [ -f "tests/fuzz/$target.dict" ] && dict=(-dict="../tests/fuzz/$target.dict")
  echo "fuzz: mdn_fuzz_$target for ${seconds}s" >&2
  status=0
  (cd build-fuzz && OMP_NUM_THREADS=1 ./mdn_fuzz_$target -max_total_time="$seconds" -max_len="$(max_len_of "$target")" \
     -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
     "corpus-$target" "../tests/fuzz/corpus/$target") >"$log" 2>&1 || status=$?
  # The last status line ("#N DONE cov: X ft: Y corp: ..." on a clean finish).
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
  # The coverage of the corpus before any mutation ("#N INITED cov: X ft: Y").
  inited=$(grep -E '^#[0-9]+[[:space:]]+INITED' "$log" | tail -n 1 || true)
  cov0=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$inited")
  ft0=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$inited")
  floor=$(floor_of "$target")
  echo "fuzz: $target: ${runs:-0} runs in ${seconds}s; corpus cov: ${cov0:-0} ft: ${ft0:-0}," \
       "final cov: ${cov:-0} ft: ${ft:-0} (floor cov: $floor)" >&2
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $target FAILED (exit $status); the report ($log):" >&2
    grep -E -A40 '^==[0-9]+==ERROR|runtime error|^==[0-9]+== ERROR|ERROR: libFuzzer' "$log" | head -n 60 >&2 || tail -n 40 "$log" >&2
    failed=1
  elif [ "${cov:-0}" -lt "$floor" ]; then
    echo "fuzz: $target reached cov: ${cov:-0}, below its floor $floor: is the library instrumented?" >&2
    failed=1
  fi
done
exit $failed
