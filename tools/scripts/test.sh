#!/usr/bin/env bash
# Builds everything (Release, CUDA when the toolkit is there) and runs the
# whole test suite with CTest. Without a GPU the `gpu` tests show as skipped.
#   tools/scripts/test.sh [ctest options, e.g. -L cpu]
# Environment: BUILD_DIR (default build); CMAKE_ARGS, extra configure
# arguments (e.g. -DCMAKE_PREFIX_PATH=/some/prefix for libraries outside the
# system). The Debian packages are installed (install-deps.sh, apt-get) only
# when CMake cannot configure with what is already there: a machine that
# has every dependency never reaches apt-get.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
# As root (CI, a fresh machine) the packages are installed first, optional
# ones included (MPI: the multi-process tests); install-deps.sh is quick when
# everything is there.
if [ "$(id -u)" -eq 0 ]; then
  tools/scripts/install-deps.sh
fi
configure() {
  # shellcheck disable=SC2086  # CMAKE_ARGS is a list of words
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-}
}
if ! command -v cmake >/dev/null || ! configure >"${TMPDIR:-/tmp}/mdn-configure.log" 2>&1; then
  echo "CMake could not configure with what is installed; installing the missing packages" >&2
  tools/scripts/install-deps.sh
  configure >/dev/null
fi
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure --no-tests=error "$@"
../tools/scripts/test-python.sh  # the Python package: pip install . and pytest (tests/python)
