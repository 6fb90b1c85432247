# shellcheck shell=bash
# bench: mdn_bench at the headline shapes (common.sh: BENCH_FILTER, 3
# repetitions, median; --quick: the CUDA rows once). The dry run checks the
# filter names exactly those rows and runs one CPU row briefly.

step_bench() {
  local bin=$BUILD/b/bench/mdn_bench count filter=$BENCH_FILTER expected=$BENCH_ROWS_EXPECTED
  [ -n "$QUICK" ] && { filter=$BENCH_FILTER_QUICK; expected=$BENCH_ROWS_EXPECTED_QUICK; }
  count=$("$bin" --benchmark_list_tests --benchmark_filter="$filter" | tee "$WORK/bench_rows.txt" | wc -l)
  cat "$WORK/bench_rows.txt"
  echo "rows matched: $count (expected $expected)"
  [ "$count" -eq "$expected" ] || die "the benchmark filter matches $count rows, not $expected"
  if [ "$MODE" = dry-run ]; then
    # A CPU row only, briefly: checks the JSON path end to end.
    OMP_NUM_THREADS=$JOBS nice "$bin" --benchmark_filter='^BM_TrainStep/cpu/D8_H64x2_K5_T1/4096/' --benchmark_min_time=0.05 \
      --benchmark_out="$WORK/mdn_bench.json" --benchmark_out_format=json
  elif [ -n "$QUICK" ]; then
    OMP_NUM_THREADS=$JOBS "$bin" --benchmark_filter="$filter" --benchmark_min_time=0.2 \
      --benchmark_out="$WORK/mdn_bench.json" --benchmark_out_format=json
  else
    OMP_NUM_THREADS=$JOBS "$bin" --benchmark_filter="$filter" --benchmark_min_time=0.3 --benchmark_repetitions=3 \
      --benchmark_report_aggregates_only=true --benchmark_out="$WORK/mdn_bench.json" --benchmark_out_format=json
  fi
}
