#!/usr/bin/env bash
# Builds everything (Release, CUDA when the toolkit is there) and runs the
# whole test suite with CTest. Without a GPU the `gpu` tests show as skipped.
#   tools/scripts/test.sh [ctest options, e.g. -L cpu]
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure --no-tests=error "$@"
../tools/scripts/test-python.sh  # the Python package: pip install . and pytest (tests/python)
