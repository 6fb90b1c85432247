# shellcheck shell=bash disable=SC2153  # JOBS, STASH: from common.sh
# ctest: the whole suite (fuzz_smoke excluded) on the device; with --quick,
# and in the dry run, the GPU tests alone (label gpu, and the backend
# contract's CUDA half, whose tests carry the cpu label). On the device
# MDN_REQUIRE_GPU=1, so a GPU test that would skip fails with its reason, and
# gpu_tests.py counts the GPU tests run / skipped / failed: the step fails if
# any was skipped. NcclTest is left out (and said to be) when the preflight
# found no libnccl.so.2. The dry run also proves, through CTest, that
# MDN_REQUIRE_GPU=1 fails a GPU test here.

list_tests() { ctest -N "$@" | sed -n 's/^ *Test *#[0-9]*: //p'; }

step_ctest() {
  cd "$BUILD/b" || exit 1
  local jobs=$JOBS nice_cmd=() exclude=fuzz_smoke rc=0
  [ "$jobs" -gt 8 ] && jobs=8
  [ "$MODE" = dry-run ] && nice_cmd=(nice)
  if [ "${NCCL:-}" = none ]; then
    exclude="$exclude|^NcclTest\\."
    echo "NCCL: libnccl.so.2 not found by the preflight: NcclTest is left out"
  fi
  if [ -n "${MDN_NCCL_LIBRARY:-}" ]; then export MDN_NCCL_LIBRARY; echo "NCCL: $MDN_NCCL_LIBRARY"; fi
  if [ "$MODE" = device ]; then export MDN_REQUIRE_GPU=1; else unset MDN_REQUIRE_GPU; fi
  echo "MDN_REQUIRE_GPU=${MDN_REQUIRE_GPU:-<unset>}"
  { list_tests -L gpu; list_tests -R 'CudaBackend>$'; } | sort -u >"$WORK/gpu_tests.txt"
  echo "GPU tests known to CTest: $(wc -l <"$WORK/gpu_tests.txt")"
  rm -f "$WORK"/ctest*.xml
  local common=(-j"$jobs" --output-on-failure --timeout 240 -E "$exclude")
  # shellcheck disable=SC2086  # GPU_CHECK_CTEST_ARGS is a list of words
  if [ "$MODE" = device ] && [ -z "$QUICK" ]; then
    OMP_NUM_THREADS=2 ctest "${common[@]}" --no-tests=error --output-junit "$WORK/ctest.xml" ${GPU_CHECK_CTEST_ARGS:-} || rc=1
  else
    OMP_NUM_THREADS=2 "${nice_cmd[@]}" ctest "${common[@]}" --no-tests=error -L gpu --output-junit "$WORK/ctest.xml" \
      ${GPU_CHECK_CTEST_ARGS:-} || rc=1
    OMP_NUM_THREADS=2 "${nice_cmd[@]}" ctest "${common[@]}" --no-tests=error -R 'CudaBackend>$' \
      --output-junit "$WORK/ctest_contract.xml" ${GPU_CHECK_CTEST_ARGS:-} || rc=1
  fi
  echo "--- GPU tests"
  python3 -B "$HERE/gpu_tests.py" --mode "$MODE" --names "$WORK/gpu_tests.txt" --json "$WORK/gpu_tests.json" \
    "$WORK"/ctest*.xml || rc=1
  [ "$MODE" = dry-run ] && { require_gpu_proof || rc=1; }
  exit $rc
}

# Dry run: MDN_REQUIRE_GPU=1 must turn the skips of a GPU test and of a CUDA
# contract test into failures that say why (what the device run relies on).
require_gpu_proof() {
  local out
  echo "--- MDN_REQUIRE_GPU=1 here (no GPU): these must FAIL with the reason"
  out=$(MDN_REQUIRE_GPU=1 ctest --output-on-failure \
        -R '^(CudaBackendApi\.OptimizerStateRoundTrips|BackendContract\.ParametersAndOptimizerStateRoundTrip<CudaBackend>)$' 2>&1)
  local rc=$?
  echo "$out" | grep -E 'Failed|Passed|Skipped|MDN_REQUIRE_GPU is set' | cut -c1-400
  if [ "$rc" -ne 0 ] && grep -q '2 tests failed out of 2' <<<"$out" &&
     [ "$(grep -c 'MDN_REQUIRE_GPU is set, so this GPU test fails' <<<"$out")" -eq 2 ]; then
    echo "ok: both failed, with the reason"
    return 0
  fi
  echo "MDN_REQUIRE_GPU=1 did not make both tests fail with the reason"
  return 1
}
