# shellcheck shell=bash
# prefix_proof: the headers and libraries of our dependencies come from the
# prefix (ninja -t deps, ldd); mdn needs no CUDA library; the CUDA module
# exports mdn_cuda_module_v1 alone.

step_prefix_proof() {
  local bad=0 deps exe
  deps=$(cd "$BUILD/b" && ninja -t deps)
  local used_prefix used_system
  # Absolute, or relative to the build folder (ccache with CCACHE_BASEDIR
  # writes the dependency paths relative).
  used_prefix=$(grep -cE "^ +($PREFIX|(\.\./)+prefix)/usr/include/(gtest|gmock|benchmark|nlohmann|CLI|$MULTIARCH/openblas)" <<<"$deps" || true)
  used_system=$(grep -E '^ +/usr/include/(gtest|gmock|benchmark|nlohmann|CLI|[^ ]*openblas|cblas|x86_64-linux-gnu/cblas)' <<<"$deps" | sort -u || true)
  echo "header uses from the prefix: $used_prefix"
  if [ -n "$used_system" ]; then echo "HEADERS FROM THE SYSTEM:"; echo "$used_system"; bad=1; fi
  [ "$used_prefix" -gt 0 ] || { echo "no header came from the prefix"; bad=1; }
  for exe in "$BUILD/b/mdn" "$BUILD/b/libmdn_cuda.so" "$BUILD/b/tests/mdn_tests_cpu" "$BUILD/b/bench/mdn_bench"; do
    echo "--- ldd $(basename "$exe")"
    ldd "$exe" | grep -E 'openblas|gfortran|quadmath|benchmark|gtest|libcu|not found' | tee "$WORK/ldd.txt"
    if grep -q 'not found' "$WORK/ldd.txt"; then bad=1; fi
    if grep -E 'openblas|gfortran|benchmark' "$WORK/ldd.txt" | grep -vq "$PREFIX"; then echo "LIBRARY FROM THE SYSTEM"; bad=1; fi
  done
  # The CUDA libraries come with the CUDA backend module, loaded on first use,
  # never with the program itself (docs/CUDA.md, "The module").
  if ldd "$BUILD/b/mdn" | grep -q 'libcu'; then echo "mdn LINKS CUDA LIBRARIES"; bad=1; fi
  echo "--- the module exports: $(nm -D --defined-only "$BUILD/b/libmdn_cuda.so" | awk '{print $3}' | tr '\n' ' ')"
  if [ "$(nm -D --defined-only "$BUILD/b/libmdn_cuda.so" | awk '{print $3}')" != mdn_cuda_module_v1 ]; then
    echo "the module should export mdn_cuda_module_v1 alone"; bad=1
  fi
  echo "--- link lines name the prefix"
  grep -o "$PREFIX/usr/lib/[^ ]*\.\(so\|a\)[^ ]*" "$BUILD/b/build.ninja" | sort -u
  exit $bad
}
