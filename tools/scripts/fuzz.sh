#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and
# runs each for a while from its checked-in seed corpus.
#   tools/scripts/fuzz.sh [SECONDS_PER_TARGET]     default 60
# A crash leaves its input as build-fuzz/crash-*; turn it into a regression
# test and add it to tests/fuzz/corpus/. Exit status 77 = clang missing (skip).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (apt-get install clang); skipping" >&2
  exit 77
fi
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DMDN_ENABLE_CUDA=OFF -DMDN_BUILD_TESTS=OFF -DMDN_BUILD_BENCH=OFF -DMDN_BUILD_FUZZERS=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target mdn_fuzz_csv mdn_fuzz_model >/dev/null
for target in csv model; do
  work=build-fuzz/corpus-$target
  mkdir -p "$work"
  echo "fuzz: mdn_fuzz_$target for ${seconds}s" >&2
  # New inputs go to $work; the checked-in corpus is only read.
  (cd build-fuzz && OMP_NUM_THREADS=1 ./mdn_fuzz_$target -max_total_time="$seconds" -max_len=4096 -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 "corpus-$target" "../tests/fuzz/corpus/$target" 2>&1 | tail -n 12)
done
