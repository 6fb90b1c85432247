/* libmdn_openmp_wait_policy.so: makes idle OpenMP threads of the mdn program
 * sleep instead of spinning, unless the user set OMP_WAIT_POLICY.
 *
 * Why: each minibatch is a few short parallel regions, and spinning threads
 * on a machine with other busy processes made training up to 10x slower
 * (measured on 2 cores; docs/MATH.md).
 *
 * Why a library of its own: libgomp reads OMP_WAIT_POLICY once, in its own
 * initialiser, before main() and before the program's constructors; and the
 * program's .preinit_array runs too early (libc's initialiser then resets
 * `environ` to the original environment, dropping a setenv made there;
 * measured, docs/ARCHITECTURE.md). The initialiser below runs after libc's and
 * before libgomp's because the program lists this library after libgomp
 * among its needed libraries (the dynamic loader initialises independent
 * libraries in the reverse of that order). CMake links it so
 * (CMakeLists.txt), and the CLI test openmp_wait_policy_test checks, through
 * libgomp's own OMP_DISPLAY_ENV report, that the policy took effect. */
#include <stdlib.h>

__attribute__((constructor)) static void mdn_prefer_passive_openmp(void) {
  if (getenv("OMP_WAIT_POLICY") == NULL) setenv("OMP_WAIT_POLICY", "passive", 1);
}
