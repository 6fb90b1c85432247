# shellcheck shell=bash
# configure: Release, Ninja, CUDA for the preflight's architecture, the
# dependencies from the prefix. The dry run hides the system's copies
# (CMAKE_IGNORE_PREFIX_PATH=/usr), so the build can only succeed from it.

step_configure() {
  # MPI is not carried to the GPU machine (one GPU, no mpirun there); the NCCL
  # path runs with one rank in tests/gpu/nccl_gpu_test.cpp all the same.
  local hide=()
  [ "$MODE" = dry-run ] && hide=(-DCMAKE_IGNORE_PREFIX_PATH=/usr)
  # CMake 4 refuses policy versions below 3.5; the carried configs ask for
  # ranges ending at 3.19+, but be safe with whatever CMake the image has.
  case $(cmake --version | head -1) in *" version "[4-9].*) hide+=(-DCMAKE_POLICY_VERSION_MINIMUM=3.5) ;; esac
  echo "CUDA architecture: $CUDA_ARCH"
  cmake -S "$ROOT" -B "$BUILD/b" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCH" \
    -DCMAKE_PREFIX_PATH="$PREFIX/usr" \
    -DOpenBLAS_DIR="$PREFIX/usr/lib/$MULTIARCH/openblas-pthread/cmake/openblas" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DMDN_ENABLE_MPI=OFF "${hide[@]}" || exit 1
  grep -E '^(OpenBLAS_DIR|GTest_DIR|benchmark_DIR|nlohmann_json_DIR|CLI11_DIR|CMAKE_CUDA_COMPILER|CMAKE_IGNORE_PREFIX_PATH)[:=]' "$BUILD/b/CMakeCache.txt"
  grep -q '^CMAKE_CUDA_COMPILER:.*nvcc' "$BUILD/b/CMakeCache.txt" || die "CMake found no CUDA compiler: the CUDA backend would not be built"
}
