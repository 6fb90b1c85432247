# shellcheck shell=bash
# memcheck racecheck initcheck synccheck: compute-sanitizer over
# mdn_tests_gpu with the filters of common.sh (every pattern must match a
# test). When the preflight found compute-sanitizer missing, or refusing the
# device (it does on the gVisor runtime), the steps say "n/a" (not available
# here) instead of FAILED.

sanitizer_step() {
  local tool=$1 filter=$2
  local bin=$BUILD/b/tests/mdn_tests_gpu count pattern n bad=0
  echo "$tool filter: $filter"
  count=$("$bin" --gtest_list_tests --gtest_filter="$filter" | grep -c '^  ')
  echo "tests matched: $count"
  local IFS=:
  for pattern in $filter; do
    n=$("$bin" --gtest_list_tests --gtest_filter="$pattern" | grep -c '^  ')
    [ "$n" -gt 0 ] || { echo "the pattern $pattern matches no test"; bad=1; }
  done
  unset IFS
  [ "$bad" = 0 ] || die "the $tool filter names tests that do not exist"
  if [ "$MODE" = dry-run ]; then
    local cs
    cs=$(find_compute_sanitizer)
    echo "dry run: would run ${cs:-compute-sanitizer (not found here)} --tool $tool ... $bin"
    exit 0
  fi
  if [ "${SANITIZER:-na}" != ok ]; then
    echo "not available here: ${SANITIZER_WHY:-the preflight did not find a working compute-sanitizer}"
    exit "$RC_NA"
  fi
  local extra=()
  [ "$tool" = memcheck ] && extra=(--leak-check full)
  "$COMPUTE_SANITIZER" --tool "$tool" "${extra[@]}" --error-exitcode 3 --print-limit 50 "$bin" \
    --gtest_filter="$filter" --gtest_brief=1
}
step_memcheck() { sanitizer_step memcheck "$F_MEMCHECK"; }
step_racecheck() { sanitizer_step racecheck "$F_RACECHECK"; }
step_initcheck() { sanitizer_step initcheck "$F_INITCHECK"; }
step_synccheck() { sanitizer_step synccheck "$F_SYNCCHECK"; }
