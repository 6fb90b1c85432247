#!/usr/bin/env bash
# The CPU backend against the PyTorch peer (and optionally an older mdn_bench),
# side by side: ROUNDS alternating rounds of [before, ours, peer], then the
# medians and ratios (bench/cpu_rounds_report.py). See BENCHMARKS.md.
#
#   PYTHON=/path/to/python-with-torch tools/scripts/bench_cpu_rounds.sh
#   BEFORE=/path/to/old/mdn_bench PYTHON=... tools/scripts/bench_cpu_rounds.sh
#
# Environment: BUILD_DIR (default build), OUT (default $BUILD_DIR/bench-rounds),
# ROUNDS (3), THREADS (nproc), MIN_TIME (0.5), PEAK_GFLOPS (235, the FP32 peak
# of the machine for the "% of peak" column), BEFORE (an mdn_bench binary to
# time in the same rounds), PYTHON (default python3; PEER=0 skips the peer),
# CPU_TIME=1 (rates from CPU time instead of wall time, for ours, before and
# the peer; meant for THREADS=1 on a loaded machine: it counts the work, not
# the waits for a core).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
out=${OUT:-$build/bench-rounds}
threads=${THREADS:-$(nproc)}
rounds=${ROUNDS:-3}
python=${PYTHON:-python3}
mkdir -p "$out"
rm -f "$out"/*.json "$out"/load.txt
cmake --build "$build" --target mdn_bench >/dev/null
export OMP_NUM_THREADS=$threads
filter='BM_(TrainStep|Forward)/cpu/D8_H64x2_K5_T1/(4096|65536)/'
for round in $(seq 1 "$rounds"); do
  if [ -n "${BEFORE:-}" ]; then
    echo "round $round before: $(uptime)" | tee -a "$out/load.txt"
    "$BEFORE" --benchmark_filter="$filter" --benchmark_min_time="${MIN_TIME:-0.5}" \
      --benchmark_out="$out/before.$round.json" --benchmark_out_format=json >/dev/null
  fi
  echo "round $round ours: $(uptime)" | tee -a "$out/load.txt"
  "$build/bench/mdn_bench" --benchmark_filter="$filter" --benchmark_min_time="${MIN_TIME:-0.5}" \
    --benchmark_out="$out/ours.$round.json" --benchmark_out_format=json >/dev/null
  if [ "${PEER:-1}" != 0 ]; then
    echo "round $round peer: $(uptime)" | tee -a "$out/load.txt"
    "$python" bench/peer_pytorch.py --device cpu --threads "$threads" --batches 4096,65536 \
      --forward-rows 4096,65536 --no-sampling ${CPU_TIME:+--cpu-time} --json "$out/peer.$round.json" >/dev/null
  fi
done
echo "after: $(uptime)" | tee -a "$out/load.txt"
python3 bench/cpu_rounds_report.py "$out" --peak-gflops "${PEAK_GFLOPS:-235}" ${CPU_TIME:+--cpu-time} | tee "$out/table.md"
