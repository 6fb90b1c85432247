#!/usr/bin/env bash
# The installed CMake package, used as an outside project would use it
# (CTest test `package`, tests/CMakeLists.txt):
#   1. cmake --install BUILD_DIR --prefix WORK_DIR/prefix
#   2. configure and build tests/package/consumer (find_package(mdn), nothing
#      else) with only -DCMAKE_PREFIX_PATH=WORK_DIR/prefix
#   3. train a small model with the installed `mdn`, and check that the
#      consumer's predictive means are those of `mdn predict` (--device cpu,
#      then auto: the GPU where there is one)
#   4. when the CUDA module was installed, check that the consumer and the
#      installed `mdn` both load it (from the installed libdir)
# Usage: package_test.sh BUILD_DIR WORK_DIR CXX_COMPILER [DEPENDENCY_PREFIXES]
# DEPENDENCY_PREFIXES: ':'-separated prefixes where the build found its own
# dependencies (its CMAKE_PREFIX_PATH), which a user would have too.
# WORK_DIR is emptied first and kept afterwards (logs: WORK_DIR/*.log).
set -euo pipefail
build=$(cd "$1" && pwd)
work=$2
cxx=$3
deps=${4:-}
cmake=${CMAKE:-cmake}
here=$(cd "$(dirname "$0")" && pwd)

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
prefix=$work/prefix

fail() {
  echo "package test: $*" >&2
  exit 1
}
# Runs a step with its output in WORK_DIR/NAME.log, shown when it fails.
step() {
  local name=$1
  shift
  if ! "$@" >"$work/$name.log" 2>&1; then
    cat "$work/$name.log" >&2
    fail "$name failed: $*"
  fi
}

# 1. Install.
step install "$cmake" --install "$build" --prefix "$prefix"

# 2. The outside project. The environment's CMAKE_PREFIX_PATH, with the
# build's dependency prefixes, is what a user's would be; no package registry,
# so the build tree is never found instead of the install.
export CMAKE_PREFIX_PATH="${deps}${deps:+${CMAKE_PREFIX_PATH:+:}}${CMAKE_PREFIX_PATH:-}"
step configure "$cmake" -S "$here/consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
found=$(sed -n 's/^mdn_DIR:PATH=//p' "$work/consumer/CMakeCache.txt")
case $found in
  "$prefix"/*) ;;
  *) fail "the consumer found mdn at '$found', not in $prefix" ;;
esac
step build "$cmake" --build "$work/consumer"
consumer=$work/consumer/predict_mean

# 3. A model from the installed program, and the same means both ways.
mdn=$prefix/bin/mdn
[ -x "$mdn" ] || fail "no installed mdn program at $mdn"
cd "$work"
step data "$mdn" data bishop --rows 300 --seed 1 --out data.csv
step train "$mdn" train --data data.csv --target y --model model.safetensors --epochs 3 --seed 1 --quiet

# The *_mean columns of `mdn predict` against the consumer's lines.
compare() {
  local device=$1
  step "predict-$device" "$mdn" predict --model model.safetensors --data data.csv --out "predict-$device.csv" \
    --device "$device" --quiet
  if ! "$consumer" model.safetensors data.csv "$device" >"consumer-$device.txt" 2>"consumer-$device.log"; then
    cat "consumer-$device.log" >&2
    fail "the consumer failed (--device $device)"
  fi
  awk -F, -v device="$device" '
    NR == FNR {
      if (FNR == 1) {
        for (i = 1; i <= NF; ++i) if ($i ~ /_mean$/) col[++ncol] = i
        if (ncol == 0) { print "package test: no *_mean column in mdn predict output" > "/dev/stderr"; exit 2 }
        next
      }
      rows++
      for (j = 1; j <= ncol; ++j) want[rows, j] = $(col[j])
      next
    }
    {
      got_rows++
      if (NF != ncol) { printf "package test: consumer line %d has %d values, not %d\n", FNR, NF, ncol > "/dev/stderr"; bad++; next }
      for (j = 1; j <= ncol; ++j) {
        a = $j + 0; b = want[FNR, j] + 0; d = a - b; if (d < 0) d = -d
        s = (a < 0 ? -a : a) + (b < 0 ? -b : b)
        if (d > 1e-6 * s + 1e-12) {
          if (bad < 5) printf "package test: row %d: consumer %s, mdn predict %s (--device %s)\n", FNR, $j, want[FNR, j], device > "/dev/stderr"
          bad++
        }
      }
    }
    END {
      if (rows == 0 || got_rows != rows) { printf "package test: %d rows from the consumer, %d from mdn predict\n", got_rows, rows > "/dev/stderr"; exit 1 }
      if (bad > 0) { printf "package test: %d predictive means differ (--device %s)\n", bad, device > "/dev/stderr"; exit 1 }
      printf "package test: %d predictive means agree with mdn predict (--device %s)\n", rows, device
    }' "predict-$device.csv" "consumer-$device.txt" || fail "the consumer's means are not those of mdn predict"
  sed -n 's/^backend: /package test: consumer backend: /p' "consumer-$device.log"
}
compare cpu
compare auto

# 4. The CUDA module, when this build has one: found from the installed
# libdir by a program built against the package, and by the installed mdn.
module=$(find "$prefix" -name libmdn_cuda.so -print -quit)
if [ -n "$module" ]; then
  grep -q "^CUDA backend: built (module" consumer-cpu.log ||
    { cat consumer-cpu.log >&2; fail "the consumer does not load the installed CUDA module $module"; }
  "$mdn" --version >version.log 2>&1 || true
  grep -q "^CUDA backend: built (module" version.log ||
    { cat version.log >&2; fail "the installed mdn does not load the installed CUDA module $module"; }
  echo "package test: the consumer and the installed mdn load $module"
else
  echo "package test: no CUDA module installed (a build without CUDA)"
fi
echo "package test: passed ($work)"
