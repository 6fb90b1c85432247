#!/usr/bin/env bash
# Python overhead (BENCHMARKS.md): MDNRegressor.fit / predict against the
# `mdn` program on the same 10^5 rows, minus the CLI's CSV time.
#   tools/scripts/bench-python.sh [bench/python_overhead.py options, e.g. --repeats 3 --device cuda]
# Installs the package as tools/scripts/test-python.sh does (same venv, same
# CUDA policy), then builds the CLI and mdn_python_overhead (bench/) in
# build-python-bench/, a Release build of the same sources with the same
# CUDA choice, so all three run the same library code.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/test-python.sh -q -k "not fuzz" >/dev/null
cuda=ON
case "$(cat build-python/last-build)" in */cpu) cuda=OFF ;; esac
build=build-python-bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DMDN_BUILD_TESTS=OFF -DMDN_BUILD_BENCH=ON \
  -DMDN_ENABLE_CUDA="$cuda" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)" --target mdn_cli mdn_python_overhead >/dev/null
# The mdn program makes OpenMP's idle threads sleep (OMP_WAIT_POLICY=passive);
# so does `import mdn`: the three run with the same setting.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
echo "load before: $(uptime)"
build-python-venv/bin/python bench/python_overhead.py --mdn "$build/mdn" --harness "$build/bench/mdn_python_overhead" "$@"
echo "load after: $(uptime)"
