#!/usr/bin/env bash
# Builds mdn_bench (Release), runs it, then the PyTorch peer against it, and
# prints the tables (see BENCHMARKS.md).
#
#   tools/scripts/bench.sh [mdn_bench arguments...]      e.g. --benchmark_filter=TrainStep
#
# Writes into $OUT (default build/bench-results):
#   mdn_bench.json  Google Benchmark JSON (--benchmark_out_format=json)
#   peer.json       bench/peer_pytorch.py --json (when PyTorch is found)
#   tables.txt      the printed tables
#   load.txt        uptime before, every 15 s during, and after the run
# Environment:
#   BUILD_DIR  build directory (default build)      JOBS      build jobs (default 2)
#   THREADS    CPU threads for ours (OMP_NUM_THREADS) and the peer (default nproc)
#   MIN_TIME   --benchmark_min_time in seconds (default 0.3)
#   REPETITIONS  N > 1 runs every row N times and keeps the mean/median/stddev/cv
#              aggregates (the tables use the median); on a shared machine, use 3
#   PYTHON     a Python with torch (default /opt/peer/bin/python, then python3)
#   PEER=0     skip the peer;  PEER_ARGS  extra arguments for bench/peer_pytorch.py
# The peer runs with --device cuda when PyTorch sees a GPU, else on the CPU
# with the same thread count as ours.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
out=${OUT:-$build/bench-results}
threads=${THREADS:-$(nproc)}
mkdir -p "$out"

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target mdn_bench

export OMP_NUM_THREADS=$threads
echo "before: $(uptime)" | tee "$out/load.txt"
# The machine may be shared: keep a record of the load while we measure.
(while sleep 15; do echo "during: $(uptime)"; done) >>"$out/load.txt" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT
repeat=()
if [ "${REPETITIONS:-1}" -gt 1 ]; then
  repeat=(--benchmark_repetitions="$REPETITIONS" --benchmark_report_aggregates_only=true)
fi
"$build/bench/mdn_bench" --benchmark_min_time="${MIN_TIME:-0.3}" "${repeat[@]}" \
  --benchmark_out="$out/mdn_bench.json" --benchmark_out_format=json "$@"

# The peer: the first Python that imports torch.
python=""
for candidate in ${PYTHON:-} /opt/peer/bin/python python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import torch' >/dev/null 2>&1; then
    python=$candidate
    break
  fi
done
peer_json=()
if [ "${PEER:-1}" != 0 ] && [ -n "$python" ]; then
  if "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    device=(--device cuda)
  else
    device=(--device cpu --threads "$threads")
  fi
  echo "peer: $python bench/peer_pytorch.py ${device[*]} ${PEER_ARGS:-}" >&2
  # shellcheck disable=SC2086  # PEER_ARGS is a list of words
  "$python" bench/peer_pytorch.py "${device[@]}" --ours "$out/mdn_bench.json" --json "$out/peer.json" ${PEER_ARGS:-}
  peer_json=(--peer "$out/peer.json")
elif [ "${PEER:-1}" != 0 ]; then
  echo "peer: no Python with torch found (set PYTHON); skipped" >&2
fi
kill "$sampler" 2>/dev/null || true
echo "after: $(uptime)" | tee -a "$out/load.txt"

echo
python3 bench/report.py "$out/mdn_bench.json" "${peer_json[@]}" | tee "$out/tables.txt"
echo "results in $out/"
