#!/usr/bin/env bash
# The first GPU run as one prepared call: build, test, sanitize, measure and
# bring every result back, on a lent machine that has no network and none of
# the Debian libraries the build needs. This file is the driver; each step is
# a function in tools/scripts/gpu-check/<step>.sh (docs/CUDA.md, "The GPU check").
#
#   tools/scripts/gpu-check.sh --prepare   (here, with network) the exact Debian
#       packages the build needs (apt-get download), the weather data (gzip)
#       and the commit into .gpu-check/ (git-ignored; it travels with `carry`),
#       and the size of everything that travels against the 64 MiB limit.
#   tools/scripts/gpu-check.sh --dry-run   (here, no GPU) every step that needs
#       no GPU: the prefix, a configure that can only succeed from it, the
#       build, the GPU tests (they skip here; MDN_REQUIRE_GPU=1 is shown to
#       fail them), every filter checked, the weather case for one CPU epoch,
#       the interop and peer scripts as far as this Python allows.
#   tools/scripts/gpu-check.sh             (on the GPU machine) everything:
#       run(command="tools/scripts/gpu-check.sh", carry=[".gpu-check"], timeout_s=600)
#   tools/scripts/gpu-check.sh --quick     (on the GPU machine, a short call):
#       only the GPU targets and mdn are built; the GPU tests, the headline CUDA
#       rows of mdn_bench and the weather case; about 4 minutes on 16 cores:
#       run(command="tools/scripts/gpu-check.sh --quick", carry=[".gpu-check"], timeout_s=300)
#   --dry-run --quick                      the quick selection, dry.
#
# Steps, in order, each with its own time limit inside an overall budget
# (GPU_CHECK_BUDGET seconds: 500 on the device, 230 with --quick; a step that
# no longer fits is recorded as skipped and the summary is still written):
#   preflight  seconds: GPU, driver, nvcc, CMake >= 3.25, ninja, g++, cuBLAS,
#              compute-sanitizer (one tiny run: does it accept the device?),
#              NCCL; stops the check at once when the build cannot work
#   env        nvidia-smi, OS, compilers, Python packages (informational)
#   prefix     dpkg -x of .gpu-check/debs/*.deb into build-gpucheck/prefix
#   configure  Release, Ninja, the GPU's architecture, CMAKE_PREFIX_PATH=prefix
#   build      all targets (--quick: the GPU tests, the CUDA module, mdn, mdn_bench)
#   version    mdn --version: the CUDA module's load status
#   prefix_proof  our dependencies' headers and libraries come from the prefix
#   ctest      the whole suite (--quick: the GPU tests) with MDN_REQUIRE_GPU=1:
#              a GPU test that would skip fails; GPU tests run/skipped/failed counted
#   memcheck racecheck initcheck synccheck   compute-sanitizer over mdn_tests_gpu
#              ("n/a" where the preflight found it missing or refused)
#   bench      mdn_bench, the headline shapes
#   weather    `mdn train/eval --device cuda` on the weather data, timed
#   interop    a GPU-trained model loaded by safetensors + PyTorch
#   peer       bench/peer_pytorch.py --device cuda against mdn_bench's JSON
# Results land in $OUT (build-gpucheck/out without the device tool), at most 8
# files: summary.txt (printed last), summary.json, logs.tar.gz, ctest.xml,
# mdn_bench.json, peer.json, weather_metrics.json, interop.txt.
#
# Environment: GPU_CHECK_BUDGET (s), BUILD_DIR (default build-gpucheck),
# JOBS (default nproc), CUDA_ARCH (default: the GPU's, else 90),
# MDN_WEATHER_CSV (--prepare: the raw weatherHistory.csv).
# shellcheck source-path=SCRIPTDIR
set -uo pipefail

SELF=$(readlink -f "$0")
ROOT=$(cd "$(dirname "$SELF")/../.." && pwd)
HERE=$ROOT/tools/scripts/gpu-check
cd "$ROOT" || exit 1
# shellcheck source=gpu-check/common.sh
. "$HERE/common.sh"

STEPS_FULL=(preflight:45 env:20 prefix:60 configure:120 build:300 version:15 prefix_proof:30 ctest:200 memcheck:75
            bench:75 weather:120 interop:60 racecheck:45 initcheck:45 synccheck:30 peer:150)
STEPS_QUICK=(preflight:45 prefix:40 configure:60 build:180 version:15 ctest:120 bench:40 weather:90)
STEPS_DRY=(preflight:60 env:60 prefix:60 configure:300 build:2400 version:30 prefix_proof:30 ctest:900
           memcheck:60 bench:300 weather:300 interop:300 racecheck:60 initcheck:60 synccheck:60 peer:300)
STEPS_DRY_QUICK=(preflight:60 prefix:60 configure:300 build:2400 version:30 ctest:900 bench:300 weather:300)

# One step, in a child of this script under `timeout`, its log in $LOGS.
run_one_step() {
  local file=$1
  case $1 in memcheck|racecheck|initcheck|synccheck) file=sanitizers ;; esac
  [ -f "$HERE/$file.sh" ] || die "no step $1 (tools/scripts/gpu-check/$file.sh)"
  # shellcheck source=/dev/null
  . "$HERE/$file.sh"
  load_preflight
  "step_$1"
}

record() {  # NAME STATUS RC SECONDS LIMIT
  printf '%s\t%s\t%d\t%s\t%d\n' "$@" >>"$WORK/steps.tsv"
}

run_step() {  # NAME LIMIT_SECONDS
  local name=$1 limit=$2 elapsed remaining status rc t0 needed=15
  elapsed=$(awk -v a="$START" -v b="$(now)" 'BEGIN {printf "%d", b - a}')
  remaining=$((BUDGET - elapsed))
  [ "$name" = peer ] && needed=60
  if [ "$remaining" -lt "$needed" ]; then
    record "$name" skipped 0 0 "$limit"
    echo "== $name: skipped (the budget of $BUDGET s is spent)"
    return
  fi
  [ "$limit" -gt "$remaining" ] && limit=$remaining
  echo "== $name (limit ${limit} s; ${elapsed} s elapsed)"
  t0=$(now)
  timeout -k 10 "$limit" "$SELF" --step "$name" >"$LOGS/$name.log" 2>&1
  rc=$?
  case $rc in
    0) status=ok ;;
    "$RC_SKIPPED") status=skipped ;;
    "$RC_NA") status=n/a ;;
    124|137) status=timeout ;;
    *) status=FAILED ;;
  esac
  record "$name" "$status" "$rc" "$(seconds_since "$t0")" "$limit"
  echo "   $status (rc $rc) in $(seconds_since "$t0") s; last lines:"
  tail -n 4 "$LOGS/$name.log" | cut -c1-200 | sed 's/^/   | /'
  case $status in ok|skipped|n/a) ;; *) FAILED_STEPS="$FAILED_STEPS $name" ;; esac
  # Nothing to test without a build: stop at once (the summary is still
  # written). The preflight stops the check only when the build cannot work
  # (rc 1); its rc 3 (the GPU misbehaves) goes on so that the tests say more.
  case $name in
    preflight) if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then STOP=1; grep '^PREFLIGHT' "$LOGS/$name.log"; fi ;;
    prefix|configure|build) [ "$status" = ok ] || STOP=1 ;;
  esac
}

main() {
  START=$(now)
  local default_budget=500 steps
  [ -n "$QUICK" ] && default_budget=230
  [ "$MODE" = dry-run ] && default_budget=7200
  BUDGET=${GPU_CHECK_BUDGET:-$default_budget}
  OUT=${OUT:-$BUILD/out}
  [ -n "${CUDA_ARCH:-}" ] && export CUDA_ARCH_FROM_USER=1
  export GPU_CHECK_MODE=$MODE GPU_CHECK_QUICK=$QUICK BUILD PREFIX LOGS WORK JOBS OUT STASH CUDA_ARCH_FROM_USER
  [ -n "${CUDA_ARCH:-}" ] && export CUDA_ARCH
  export ORIG_TF32_OVERRIDE=${NVIDIA_TF32_OVERRIDE:-}
  unset NVIDIA_TF32_OVERRIDE  # FP32 means FP32 (the GPU test fixture refuses it too)
  export LD_LIBRARY_PATH
  LD_LIBRARY_PATH=$(lib_path)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  rm -rf "$LOGS" "$WORK"
  mkdir -p "$LOGS" "$WORK" "$OUT"
  : >"$WORK/steps.tsv"
  FAILED_STEPS="" STOP=0
  # In order of value: the build and the tests, then memcheck, the numbers,
  # the other sanitizers, and the peer (torch.compile's time is the least
  # predictable) last.
  if [ "$MODE" = dry-run ]; then
    if [ -n "$QUICK" ]; then steps=("${STEPS_DRY_QUICK[@]}"); else steps=("${STEPS_DRY[@]}"); fi
  elif [ -n "$QUICK" ]; then steps=("${STEPS_QUICK[@]}")
  else steps=("${STEPS_FULL[@]}")
  fi
  echo "gpu-check: $MODE${QUICK:+ --quick}, budget $BUDGET s, $JOBS jobs, results in $OUT"
  local s
  for s in "${steps[@]}"; do
    if [ "$STOP" = 1 ]; then record "${s%%:*}" skipped 0 0 0; continue; fi
    run_step "${s%%:*}" "${s##*:}"
  done
  # At most 8 files in $OUT: bundle the logs, copy the results.
  local f
  for f in ctest.xml mdn_bench.json peer.json weather_metrics.json; do
    [ -f "$WORK/$f" ] && cp "$WORK/$f" "$OUT/$f"
  done
  [ -f "$LOGS/interop.log" ] && cp "$LOGS/interop.log" "$OUT/interop.txt"
  python3 -B "$HERE/summary.py" "$WORK" "$OUT" "$MODE${QUICK:+ quick}" "$STASH/COMMIT" ||
    echo "gpu-check: the summary could not be written" >&2
  (cd "$BUILD" && tar -czf "$OUT/logs.tar.gz" logs work/steps.tsv work/*.json work/*.txt work/*.xml work/*.env 2>/dev/null)
  echo
  echo "files in $OUT: $(find "$OUT" -maxdepth 1 -type f -printf '%f ' | sort)($(du -sh "$OUT" | cut -f1))"
  echo "total $(awk -v a="$START" -v b="$(now)" 'BEGIN {printf "%.0f", b - a}') s"
  echo
  cat "$OUT/summary.txt" 2>/dev/null
  # A check whose tests did not run proves nothing: on the device the ctest
  # step must have run and passed.
  if [ "$MODE" = device ] && ! grep -q $'^ctest\tok\t' "$WORK/steps.tsv"; then
    FAILED_STEPS="$FAILED_STEPS ctest(did-not-run-or-pass)"
  fi
  if [ -n "$FAILED_STEPS" ]; then echo "FAILED:$FAILED_STEPS"; return 1; fi
  echo "all steps ok, skipped or not available here"
}

# Everything runs from one function, and the last line exits: bash reads a
# script as it goes, so an edit while a check runs must not change what runs.
dispatch() {
  MODE=${GPU_CHECK_MODE:-device}  # a --step child inherits its parent's mode
  QUICK=${GPU_CHECK_QUICK:-}
  local action=main step=""
  while [ $# -gt 0 ]; do
    case $1 in
      --prepare) action=prepare ;;
      --dry-run) MODE=dry-run ;;
      --quick) QUICK=1 ;;
      --device) MODE=device ;;
      --step) action=step; step=${2:?--step NAME}; shift ;;
      -h|--help) sed -n '2,/^set -uo/p' "$SELF" | sed '/^# shellcheck/d; $d; s/^# \{0,1\}//'; return 0 ;;
      *) die "unknown option $1 (--prepare, --dry-run, --quick, --help)" ;;
    esac
    shift
  done
  case $action in
    prepare)
      # shellcheck source=gpu-check/prepare.sh
      . "$HERE/prepare.sh"
      prepare ;;
    step) run_one_step "$step" ;;
    main) main ;;
  esac
}

dispatch "$@"; exit $?
