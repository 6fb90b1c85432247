# shellcheck shell=bash
# build: every target (nproc jobs), or with --quick only the GPU tests, the
# backend contract, the CUDA module, mdn and mdn_bench.

step_build() {
  local nice_cmd=() targets=()
  [ "$MODE" = dry-run ] && nice_cmd=(nice)
  [ -n "$QUICK" ] && targets=(--target "${QUICK_TARGETS[@]}")
  "${nice_cmd[@]}" cmake --build "$BUILD/b" -j"$JOBS" "${targets[@]}"
}
