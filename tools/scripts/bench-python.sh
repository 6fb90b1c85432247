#!/usr/bin/env bash
# Python overhead (BENCHMARKS.md): MDNRegressor.fit / predict against the
# `mdn` program on the same 10^5 rows, minus the CLI's CSV time.
#   tools/scripts/bench-python.sh [bench/python_overhead.py options, e.g. --repeats 3 --device cuda]
# Installs the package as tools/scripts/test-python.sh does (same venv, same
# CUDA policy), then builds the CLI and mdn_python_overhead in the package's
# own CMake build, so all three run the same compiled library.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/test-python.sh -q -k "not fuzz" >/dev/null
build=$(cat build-python/last-build)
cmake --build "$build" -j"$(nproc)" --target mdn_cli mdn_python_overhead >/dev/null
# The mdn program makes OpenMP's idle threads sleep (OMP_WAIT_POLICY=passive);
# so does `import mdn`: the three run with the same setting.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
echo "load before: $(uptime)"
build-python-venv/bin/python bench/python_overhead.py --mdn "$build/mdn" --harness "$build/src/python/mdn_python_overhead" "$@"
echo "load after: $(uptime)"
