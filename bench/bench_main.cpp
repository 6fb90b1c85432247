// The one main() of mdn_bench (every bench/*.cpp is linked into it, so no
// other file defines one).
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
