# shellcheck shell=bash
# version: `mdn --version` (the build's CUDA backend and whether its module
# loads, NCCL's status) for the summary. On the device a module that cannot be
# loaded fails the step: every GPU test would fail for that one reason.

step_version() {
  local out
  out=$("$BUILD/b/mdn" --version 2>&1)
  local rc=$?
  echo "$out"
  [ "$rc" -eq 0 ] || { echo "mdn --version failed (rc $rc)"; exit 1; }
  if [ "$MODE" = device ] && grep -q 'cannot be loaded' <<<"$out"; then
    echo "the CUDA module cannot be loaded: every GPU test will fail"
    exit 1
  fi
  exit 0
}
