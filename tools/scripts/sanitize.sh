#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the CPU code in
# build-asan/, then the CPU and command-line tests under it.
#   tools/scripts/sanitize.sh [ctest options]
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/install-deps.sh
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMDN_SANITIZE=ON -DMDN_ENABLE_CUDA=OFF \
  -DMDN_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$(nproc)"
cd build-asan
# OpenBLAS and libgomp keep thread-local caches alive at exit: not our leaks.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# -LE mpi: the multi-process tests run in the plain build (test.sh); Open MPI's
# own allocations are not what this build is for.
# function_size reads the code, not the build: the plain run (test.sh) has it.
ctest --output-on-failure --no-tests=error -L cpu -LE mpi -E "fuzz_smoke|function_size" "$@"
