#!/usr/bin/env bash
# The first GPU run as one prepared call: build, test, sanitize, measure and
# bring every result back, on a lent machine that has no network and none of
# the Debian libraries the build needs.
#
#   tools/scripts/gpu-check.sh --prepare   (here, with network) puts the exact
#       Debian packages the build needs (apt-get download: OpenBLAS and its
#       Fortran runtime, GoogleTest/GoogleMock, Google Benchmark,
#       nlohmann-json, CLI11), the weather data (gzip) and the commit into
#       .gpu-check/ (git-ignored; it travels with `carry`), and prints the size
#       of everything that travels against the 64 MiB limit.
#   tools/scripts/gpu-check.sh --dry-run   (here, no GPU) runs every step that
#       needs no GPU: unpacks the packages into a private prefix, configures
#       with the system copies hidden from CMake (CMAKE_IGNORE_PREFIX_PATH=/usr)
#       and proves the prefix alone is enough (headers and libraries used come
#       from it), builds, runs CTest (gpu tests skip), checks every sanitizer
#       filter and the benchmark filter name real tests/rows, trains and
#       evaluates the weather case on the CPU for one epoch, the interop and
#       peer scripts as far as this Python allows, and writes the summary.
#   tools/scripts/gpu-check.sh             (on the GPU machine) everything:
#       device call: run(command="tools/scripts/gpu-check.sh", carry=[".gpu-check"], timeout_s=600)
#
# Steps, each with its own time limit inside an overall budget
# (GPU_CHECK_BUDGET seconds, default 500 on the device; a step that no longer fits is
# recorded as skipped and the summary is still written):
#   env        nvidia-smi, OS, compilers, Python packages, what the system has; the commit
#   prefix     dpkg -x of .gpu-check/debs/*.deb into build-gpucheck/prefix (Python fallback without dpkg)
#   configure  Release, Ninja, CMAKE_CUDA_ARCHITECTURES=90, CMAKE_PREFIX_PATH=prefix
#   build      all targets, nproc jobs
#   prefix-proof  ninja -t deps / ldd: our dependencies' headers and libraries come from the prefix;
#              mdn needs no CUDA library; libmdn_cuda.so exports one symbol
#   ctest      the whole suite (gpu label included; fuzz_smoke excluded), JUnit XML
#   memcheck racecheck initcheck synccheck   compute-sanitizer over mdn_tests_gpu, filters below
#   bench      mdn_bench, CUDA rows at the headline shapes (+ the CPU training step for the ratio)
#   weather    prepare_weather.py, `mdn train --device cuda`, `mdn eval --device cuda`, timed
#   interop    a model trained on the GPU, loaded by the image's safetensors + PyTorch (interop_check.py)
#   peer       bench/peer_pytorch.py --device cuda (eager and torch.compile) against mdn_bench's JSON
# Results land in $OUT (the device tool's folder; build-gpucheck/out otherwise),
# at most 8 files: summary.txt (the table, printed last), summary.json,
# logs.tar.gz (every step's log), ctest.xml, mdn_bench.json, peer.json,
# weather_metrics.json, interop.txt.
#
# Environment: GPU_CHECK_BUDGET (s), BUILD_DIR (default build-gpucheck),
# JOBS (default nproc), CUDA_ARCH (default 90), MDN_WEATHER_CSV (--prepare:
# the raw weatherHistory.csv; default ../shared/data/weather_szeged.csv).
set -uo pipefail

SELF=$(readlink -f "$0")
ROOT=$(cd "$(dirname "$SELF")/../.." && pwd)
cd "$ROOT" || exit 1
STASH=$ROOT/.gpu-check
BUILD=${BUILD_DIR:-$ROOT/build-gpucheck}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PREFIX=$BUILD/prefix
LOGS=$BUILD/logs
WORK=$BUILD/work
JOBS=${JOBS:-$(nproc)}
CUDA_ARCH=${CUDA_ARCH:-90}
MULTIARCH=x86_64-linux-gnu

# The Debian packages the build needs (bookworm names), and what they bring:
# headers + CMake configs (-dev), the runtime libraries (OpenBLAS's pthread
# flavour needs libgfortran5, which needs libquadmath0; Google Benchmark is
# shared only in Debian; GoogleTest/GoogleMock are static .a).
DEBS=(libopenblas-dev libopenblas-pthread-dev libopenblas0-pthread libgfortran5 libquadmath0
      libgtest-dev libgmock-dev libbenchmark-dev libbenchmark1debian nlohmann-json3-dev libcli11-dev)
# Dependencies of those that every glibc/g++ system already has, or that
# carry no files the build uses (googletest is the source package).
BASE_DEPS="libc6 libgcc-s1 libstdc++6 gcc-12-base googletest libopenblas0 libopenblas-openmp-dev libopenblas-serial-dev"

# compute-sanitizer filters over mdn_tests_gpu: small shapes that still run
# every kernel (training step and graphs, head, gather/shuffle, reductions,
# Adam, forward chunks, sampling, predictive), so each tool ends in bounded time.
F_TRAIN='CudaTraining.GraphReplayEqualsTheUncapturedStep:CudaTraining.EpochUsesEveryRowOnceInTheReportedOrderIncludingThePartialBatch'
F_PARITY='KTBatchRegime/CudaParity.ForwardLossGradientAndAdamMatchTheCpu/K3_T2_n37_Typical'
F_MEMCHECK="$F_TRAIN:$F_PARITY:KTBatchRegime/CudaParity.ForwardLossGradientAndAdamMatchTheCpu/K32_T8_n37_FarTargets:CudaTraining.NonFiniteLossIsCaughtAndNoUpdateIsApplied:CudaBackendApi.*:GpuSampling.AgreesWithTheCpuSamplerDrawForDraw:GpuPredictive.MatchesCpuOnRandomMixtures"
F_RACECHECK="$F_TRAIN:$F_PARITY:GpuSampling.AgreesWithTheCpuSamplerDrawForDraw:GpuPredictive.MatchesCpuOnRandomMixtures"
F_INITCHECK="$F_TRAIN:$F_PARITY:GpuSampling.AgreesWithTheCpuSamplerDrawForDraw:GpuPredictive.MatchesCpuOnRandomMixtures"
F_SYNCCHECK="$F_TRAIN:$F_PARITY:GpuSampling.AgreesWithTheCpuSamplerDrawForDraw"

# mdn_bench rows: the headline shapes (BENCHMARKS.md's reference shape
# D8_H64x2_K5_T1, batches 4,096 and 65,536; 2^20 rows for the head, the
# sampler and the copy), plus the CPU training step at the same shape for
# the cuda/cpu ratio on the same machine.
BENCH_FILTER='^BM_(TrainStep/(cuda|cpu)/D8_H64x2_K5_T1/(4096|65536)|HeadLossGrad/cuda/K5_T1/1048576|Sample/cuda/K5_T1/1048576|SampleWithTransfers/cuda/K5_T1/1048576|Copy/cuda/bytes/268435456|Forward/cuda/D8_H64x2_K5_T1/65536|Quantiles/cuda/K5_T1/65536)/'
BENCH_ROWS_EXPECTED=10

WEATHER_TARGET="Apparent Temperature (C)"

die() { echo "gpu-check: $*" >&2; exit 1; }
now() { date +%s.%N; }

# ---------------------------------------------------------------------------
# --prepare (developer machine, network)

prepare() {
  command -v apt-get >/dev/null || die "--prepare needs apt-get (a Debian machine)"
  mkdir -p "$STASH/debs" "$STASH/data"
  grep -qx '/.gpu-check/' .gitignore 2>/dev/null || die "/.gpu-check/ must be in .gitignore (it holds data that must not be committed)"
  local t0; t0=$(now)
  echo "== packages (apt-get download into .gpu-check/debs)"
  local missing=()
  for p in "${DEBS[@]}"; do
    compgen -G "$STASH/debs/${p}_*.deb" >/dev/null || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    (cd "$STASH/debs" && apt-get download "${missing[@]}") || die "apt-get download failed (run apt-get update as root?)"
  fi
  for p in "${DEBS[@]}"; do compgen -G "$STASH/debs/${p}_*.deb" >/dev/null || die "missing after download: $p"; done
  # Every dependency must be in the set or in BASE_DEPS.
  local deps unknown=""
  for f in "$STASH"/debs/*.deb; do
    deps=$(dpkg-deb -f "$f" Depends 2>/dev/null | tr ',|' '\n' | sed 's/(.*)//; s/:any//; s/ //g' | grep -v '^$' || true)
    for d in $deps; do
      case " ${DEBS[*]} $BASE_DEPS " in *" $d "*) ;; *) unknown="$unknown $(basename "$f"):$d" ;; esac
    done
  done
  [ -z "$unknown" ] || die "dependencies not carried and not in BASE_DEPS:$unknown"
  ls -l "$STASH/debs"

  echo "== weather data"
  local csv=${MDN_WEATHER_CSV:-$ROOT/../shared/data/weather_szeged.csv}
  [ -f "$csv" ] || csv=/work/shared/data/weather_szeged.csv
  if [ -f "$csv" ]; then
    if [ ! -f "$STASH/data/weather_szeged.csv.gz" ] || [ "$csv" -nt "$STASH/data/weather_szeged.csv.gz" ]; then
      gzip -9 -c "$csv" >"$STASH/data/weather_szeged.csv.gz.tmp" && mv "$STASH/data/weather_szeged.csv.gz.tmp" "$STASH/data/weather_szeged.csv.gz"
    fi
    sha256sum "$csv" | cut -d' ' -f1 >"$STASH/data/weather_szeged.csv.sha256"
    ls -l "$STASH/data"
  else
    echo "no weather CSV found (set MDN_WEATHER_CSV): the weather step will be skipped" >&2
  fi

  echo "== commit"
  {
    echo "commit $(git rev-parse HEAD 2>/dev/null || echo unknown)"
    echo "branch $(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)"
    echo "subject $(git log -1 --format=%s 2>/dev/null || echo unknown)"
    echo "uncommitted_files $(git status --porcelain 2>/dev/null | grep -vc '^??' || true)"
    echo "diff_sha256 $(git diff HEAD 2>/dev/null | sha256sum | cut -d' ' -f1)"
    echo "prepared $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } >"$STASH/COMMIT"
  cat "$STASH/COMMIT"

  echo "== what travels (64 MiB limit)"
  local tree stash
  tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s -- 2>/dev/null | awk '{s+=$1} END {print s+0}')
  stash=$(du -sb "$STASH" | cut -f1)
  [ -d shared ] && echo "note: shared/ exists in the checkout and travels too ($(du -sh shared | cut -f1))"
  awk -v t="$tree" -v s="$stash" 'BEGIN {
    printf "  working tree (tracked + untracked, not ignored)  %8.2f MiB\n", t / 1048576
    printf "  .gpu-check (carried)                             %8.2f MiB\n", s / 1048576
    printf "  total                                            %8.2f MiB of 64\n", (t + s) / 1048576
    exit ((t + s) > 60 * 1048576) }' || die "what travels is over 60 MiB"
  echo "prepared in $(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}') s"
  echo "next: tools/scripts/gpu-check.sh --dry-run; then the device call:"
  echo '  run(command="tools/scripts/gpu-check.sh", carry=[".gpu-check"], timeout_s=600)'
}

# ---------------------------------------------------------------------------
# The steps (each runs as `gpu-check.sh --step NAME` under `timeout`, with
# the environment exported by main; it writes its log to stdout).

lib_path() {
  echo "$PREFIX/usr/lib/$MULTIARCH/openblas-pthread:$PREFIX/usr/lib/$MULTIARCH"
}

step_env() {
  echo "mode: $MODE   date: $(date -u +%Y-%m-%dT%H:%M:%SZ)   host: $(hostname)"
  echo "--- commit (.gpu-check/COMMIT, written by --prepare)"
  cat "$STASH/COMMIT" 2>/dev/null || echo "(no .gpu-check/COMMIT)"
  git rev-parse HEAD 2>/dev/null && git status --short 2>/dev/null | head -20
  echo "--- nvidia-smi"
  nvidia-smi 2>&1 || echo "(no nvidia-smi)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem,clocks.max.sm,power.limit,persistence_mode,compute_mode --format=csv 2>&1 || true
  echo "--- system"
  uname -a; grep PRETTY_NAME /etc/os-release 2>/dev/null; nproc; free -g 2>/dev/null | head -2
  echo "NVIDIA_TF32_OVERRIDE (at start): ${ORIG_TF32_OVERRIDE:-<unset>}"
  echo "--- tools"
  for t in cmake ninja g++ gcc nvcc compute-sanitizer ncu dpkg ar gnuplot python3; do
    printf '%-18s %s\n' "$t" "$(command -v "$t" || echo MISSING)"
  done
  cmake --version | head -1; g++ --version | head -1; nvcc --version 2>/dev/null | tail -2
  python3 - <<'EOF' 2>&1
import importlib, sys
print("python", sys.version.split()[0], sys.executable)
for name in ("torch", "safetensors", "numpy"):
    try:
        m = importlib.import_module(name)
        extra = ""
        if name == "torch":
            extra = f" cuda={m.version.cuda} available={m.cuda.is_available()}"
            if m.cuda.is_available():
                extra += f" device={m.cuda.get_device_name()}"
        print(f"{name} {getattr(m, '__version__', '?')}{extra}")
    except Exception as e:
        print(f"{name}: not importable ({e})")
EOF
  echo "--- what the system has of the build's dependencies (informational; the build uses the prefix)"
  ldconfig -p 2>/dev/null | grep -E 'libopenblas|libgfortran|libbenchmark|libgtest' || echo "(none in ldconfig)"
  for h in /usr/include/gtest/gtest.h /usr/include/benchmark/benchmark.h /usr/include/nlohmann/json.hpp /usr/include/CLI/CLI.hpp; do
    [ -e "$h" ] && echo "present: $h" || echo "absent:  $h"
  done
  echo "--- carried"
  ls -l "$STASH" "$STASH/debs" "$STASH/data" 2>&1
  du -sh "$STASH" 2>/dev/null
}

# ar + tar in Python, for a machine without dpkg.
python_deb_extract() {
  python3 - "$1" "$2" <<'EOF'
import io, sys, tarfile
deb, dest = sys.argv[1], sys.argv[2]
data = open(deb, "rb").read()
assert data[:8] == b"!<arch>\n", "not an ar archive"
pos = 8
while pos < len(data):
    name = data[pos:pos + 16].decode().strip().rstrip("/")
    size = int(data[pos + 48:pos + 58].decode().strip())
    body = data[pos + 60:pos + 60 + size]
    pos += 60 + size + (size & 1)
    if name.startswith("data.tar"):
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            tar.extractall(dest)
        break
else:
    sys.exit("no data.tar in " + deb)
EOF
}

step_prefix() {
  compgen -G "$STASH/debs/*.deb" >/dev/null || die "no packages in .gpu-check/debs: run tools/scripts/gpu-check.sh --prepare first"
  rm -rf "$PREFIX"
  mkdir -p "$PREFIX"
  for f in "$STASH"/debs/*.deb; do
    if command -v dpkg >/dev/null; then dpkg -x "$f" "$PREFIX" || exit 1
    else python_deb_extract "$f" "$PREFIX" || exit 1
    fi
    echo "unpacked $(basename "$f")"
  done
  # Debian's OpenBLASConfig.cmake names absolute /usr paths: point it at the prefix.
  local cfg=$PREFIX/usr/lib/$MULTIARCH/openblas-pthread/cmake/openblas/OpenBLASConfig.cmake
  [ -f "$cfg" ] || die "no OpenBLASConfig.cmake in the prefix"
  sed -i "s#/usr/#$PREFIX/usr/#g" "$cfg"
  cat "$cfg"
  # Runtime libraries the binaries will load from the prefix.
  ls -l "$PREFIX/usr/lib/$MULTIARCH/openblas-pthread/libopenblas.so.0" "$PREFIX/usr/lib/$MULTIARCH/libgfortran.so.5" \
        "$PREFIX/usr/lib/$MULTIARCH/libbenchmark.so.1.7.1" "$PREFIX/usr/lib/$MULTIARCH/libgtest.a" || exit 1
  du -sh "$PREFIX"
}

step_configure() {
  # MPI is not carried to the GPU machine (one GPU, no mpirun there); the NCCL
  # path runs with one rank in tests/gpu/nccl_gpu_test.cpp all the same.
  local hide=()
  # Dry run: hide the system's copies, so the build can only succeed from the prefix.
  [ "$MODE" = dry-run ] && hide=(-DCMAKE_IGNORE_PREFIX_PATH=/usr)
  # CMake 4 refuses policy versions below 3.5; the carried configs ask for
  # ranges ending at 3.19+, but be safe with whatever CMake the image has.
  case $(cmake --version | head -1) in *" version "[4-9].*) hide+=(-DCMAKE_POLICY_VERSION_MINIMUM=3.5) ;; esac
  cmake -S "$ROOT" -B "$BUILD/b" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCH" \
    -DCMAKE_PREFIX_PATH="$PREFIX/usr" \
    -DOpenBLAS_DIR="$PREFIX/usr/lib/$MULTIARCH/openblas-pthread/cmake/openblas" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DMDN_ENABLE_MPI=OFF "${hide[@]}"
  grep -E '^(OpenBLAS_DIR|GTest_DIR|benchmark_DIR|nlohmann_json_DIR|CLI11_DIR|CMAKE_CUDA_COMPILER|CMAKE_IGNORE_PREFIX_PATH)[:=]' "$BUILD/b/CMakeCache.txt"
  grep -q '^CMAKE_CUDA_COMPILER:.*nvcc' "$BUILD/b/CMakeCache.txt" || die "CMake found no CUDA compiler: the CUDA backend would not be built"
}

step_build() {
  local nice_cmd=()
  [ "$MODE" = dry-run ] && nice_cmd=(nice)
  "${nice_cmd[@]}" cmake --build "$BUILD/b" -j"$JOBS"
}

# The headers and libraries of our dependencies come from the prefix.
step_prefix_proof() {
  local bad=0 deps
  deps=$(cd "$BUILD/b" && ninja -t deps)
  local used_prefix used_system
  used_prefix=$(grep -cE "^ +$PREFIX/usr/include/(gtest|gmock|benchmark|nlohmann|CLI|$MULTIARCH/openblas)" <<<"$deps" || true)
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

step_ctest() {
  cd "$BUILD/b" || exit 1
  local jobs=$JOBS select=(-E fuzz_smoke) nice_cmd=()
  [ "$jobs" -gt 8 ] && jobs=8
  # Dry run: the gpu label only (every test must show as skipped); the CPU
  # suite is tools/scripts/test.sh's job here and runs whole on the device.
  [ "$MODE" = dry-run ] && { select=(-L gpu); nice_cmd=(nice); }
  # shellcheck disable=SC2086  # GPU_CHECK_CTEST_ARGS is a list of words
  OMP_NUM_THREADS=2 "${nice_cmd[@]}" ctest -j"$jobs" --output-on-failure --no-tests=error "${select[@]}" --timeout 240 \
    --output-junit "$WORK/ctest.xml" ${GPU_CHECK_CTEST_ARGS:-}
  local rc=$?
  echo "--- gpu label"
  ctest -N -L gpu | tail -1
  exit $rc
}

sanitizer_step() {
  local tool=$1 filter=$2
  local bin=$BUILD/b/tests/mdn_tests_gpu
  local count
  count=$("$bin" --gtest_list_tests --gtest_filter="$filter" | grep -c '^  ')
  echo "$tool filter: $filter"
  echo "tests matched: $count"
  [ "$count" -gt 0 ] || die "the $tool filter matches no test"
  local cs
  cs=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
  if [ "$MODE" = dry-run ]; then
    echo "dry run: would run ${cs:-compute-sanitizer (not found here)} --tool $tool ... $bin"
    exit 0
  fi
  [ -n "$cs" ] || die "compute-sanitizer not found"
  local extra=()
  [ "$tool" = memcheck ] && extra=(--leak-check full)
  "$cs" --tool "$tool" "${extra[@]}" --error-exitcode 3 --print-limit 50 "$bin" --gtest_filter="$filter" --gtest_brief=1
}
step_memcheck() { sanitizer_step memcheck "$F_MEMCHECK"; }
step_racecheck() { sanitizer_step racecheck "$F_RACECHECK"; }
step_initcheck() { sanitizer_step initcheck "$F_INITCHECK"; }
step_synccheck() { sanitizer_step synccheck "$F_SYNCCHECK"; }

step_bench() {
  local bin=$BUILD/b/bench/mdn_bench count
  count=$("$bin" --benchmark_list_tests --benchmark_filter="$BENCH_FILTER" | tee "$WORK/bench_rows.txt" | wc -l)
  cat "$WORK/bench_rows.txt"
  echo "rows matched: $count (expected $BENCH_ROWS_EXPECTED)"
  [ "$count" -eq "$BENCH_ROWS_EXPECTED" ] || die "the benchmark filter matches $count rows, not $BENCH_ROWS_EXPECTED"
  if [ "$MODE" = dry-run ]; then
    # The CPU rows only, briefly: checks the JSON path end to end.
    OMP_NUM_THREADS=$JOBS nice "$bin" --benchmark_filter='^BM_TrainStep/cpu/D8_H64x2_K5_T1/4096/' --benchmark_min_time=0.05 \
      --benchmark_out="$WORK/mdn_bench.json" --benchmark_out_format=json
  else
    OMP_NUM_THREADS=$JOBS "$bin" --benchmark_filter="$BENCH_FILTER" --benchmark_min_time=0.3 --benchmark_repetitions=3 \
      --benchmark_report_aggregates_only=true --benchmark_out="$WORK/mdn_bench.json" --benchmark_out_format=json
  fi
}

step_weather() {
  local gz=$STASH/data/weather_szeged.csv.gz dir=$WORK/weather
  [ -f "$gz" ] || { echo "no .gpu-check/data/weather_szeged.csv.gz (run --prepare with the data): skipped"; exit 77; }
  rm -rf "$dir"; mkdir -p "$dir"
  gunzip -c "$gz" >"$dir/weatherHistory.csv" || exit 1
  python3 tools/scripts/prepare_weather.py --input "$dir/weatherHistory.csv" --out-dir "$dir" || exit 1
  local device=cuda epochs=150
  [ "$MODE" = dry-run ] && { device=cpu; epochs=1; }
  local t0 t1 t2
  t0=$(now)
  # docs/WEATHER.md's command, on the GPU.
  "$BUILD/b/mdn" train --data "$dir/weather_train.csv" --target "$WEATHER_TARGET" \
    --model "$dir/weather.safetensors" --hidden 64,64 --components 5 \
    --epochs "$epochs" --batch-size 256 --lr 0.0005 --patience 0 --seed 1 --device "$device" --drop-invalid || exit 1
  t1=$(now)
  "$BUILD/b/mdn" eval --model "$dir/weather.safetensors" --data "$dir/weather_test.csv" \
    --drop-invalid --device "$device" --json "$WORK/weather_metrics.json" || exit 1
  t2=$(now)
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$device" -v e="$epochs" \
    'BEGIN {printf "{\"device\": \"%s\", \"epochs\": %d, \"train_seconds\": %.2f, \"eval_seconds\": %.2f}\n", d, e, b - a, c - b}' \
    >"$WORK/weather_times.json"
  cat "$WORK/weather_times.json"
}

step_interop() {
  local dir=$WORK/interop device=cuda
  [ "$MODE" = dry-run ] && device=cpu
  rm -rf "$dir"; mkdir -p "$dir"
  "$BUILD/b/mdn" data bishop --rows 2000 --seed 3 --out "$dir/bishop.csv" || exit 1
  "$BUILD/b/mdn" train --data "$dir/bishop.csv" --target y --model "$dir/bishop.safetensors" --components 5 \
    --hidden 32,32 --epochs 20 --seed 3 --device "$device" || exit 1
  python3 tools/scripts/interop_check.py --mdn "$BUILD/b/mdn" --model "$dir/bishop.safetensors" --data "$dir/bishop.csv"
}

step_peer() {
  # Parse only (no __pycache__ left in the tree, which would travel).
  python3 -B -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' bench/peer_pytorch.py || exit 1
  # PyTorch brings its own libraries: keep the prefix's out of its way.
  unset LD_LIBRARY_PATH
  if ! python3 -c 'import torch' 2>/dev/null; then echo "no PyTorch in $(command -v python3): skipped"; exit 77; fi
  local device=(--device cuda)
  if [ "$MODE" = dry-run ]; then
    device=(--device cpu --threads "$JOBS" --batches 1024 --no-compile --sample-rows 4096 --repeats 2 --warmup 1)
  fi
  PYTHONUNBUFFERED=1 python3 bench/peer_pytorch.py "${device[@]}" --repeats 10 --budget 2 \
    --ours "$WORK/mdn_bench.json" --json "$WORK/peer.json"
}

# ---------------------------------------------------------------------------
# Summary: one JSON and one table from the steps' records and results.

write_summary() {
  python3 - "$WORK" "$OUT" "$MODE" "$STASH/COMMIT" <<'EOF'
import json, os, re, sys, xml.etree.ElementTree as ET
work, out, mode, commit_file = sys.argv[1:5]
def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except Exception:
        return None
summary = {"mode": mode, "steps": [], "commit": {}}
try:
    for line in open(commit_file):
        k, _, v = line.strip().partition(" ")
        summary["commit"][k] = v
except OSError:
    pass
for line in open(os.path.join(work, "steps.tsv")):
    name, status, rc, secs, limit = line.rstrip("\n").split("\t")
    summary["steps"].append({"step": name, "status": status, "rc": int(rc), "seconds": float(secs), "limit_s": int(limit)})
notes = {}
def note(step, text):
    notes[step] = (notes.get(step, "") + "; " if step in notes else "") + text
# nvidia-smi: the GPU's name.
try:
    env = open(os.path.join(work, "..", "logs", "env.log")).read()
    m = re.search(r"^(NVIDIA [^,\n]+), ([0-9.]+), ", env, re.M)
    if m:
        summary["gpu"] = {"name": m.group(1), "driver": m.group(2)}
        note("env", f"{m.group(1)}, driver {m.group(2)}")
except OSError:
    pass
# CTest (JUnit).
try:
    root = ET.parse(os.path.join(work, "ctest.xml")).getroot()
    cases = root.iter("testcase")
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    failed = []
    for c in cases:
        st = c.get("status", "run")
        if c.find("failure") is not None or st == "fail":
            counts["failed"] += 1; failed.append(c.get("name"))
        elif c.find("skipped") is not None or st in ("notrun", "disabled"):
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    summary["ctest"] = dict(counts, failed_tests=failed[:50])
    note("ctest", f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
except Exception as e:
    pass
# Sanitizers: the tool's own summary line.
for tool in ("memcheck", "racecheck", "initcheck", "synccheck"):
    try:
        log = open(os.path.join(work, "..", "logs", tool + ".log")).read()
    except OSError:
        continue
    m = re.search(r"ERROR SUMMARY: (\d+) error", log)
    tests = re.search(r"tests matched: (\d+)", log)
    if m:
        summary[tool] = {"errors": int(m.group(1))}
        note(tool, f"{m.group(1)} errors over {tests.group(1) if tests else '?'} tests")
    elif tests:
        note(tool, f"{tests.group(1)} tests in the filter")
# Benchmarks: items/s (or bytes/s) of each row, median when repeated.
bench = load(os.path.join(work, "mdn_bench.json"))
if bench:
    rows = {}
    for b in bench.get("benchmarks", []):
        if b.get("aggregate_name") not in (None, "median"):
            continue
        name = b.get("run_name", b["name"])
        rows[name] = {k: b[k] for k in ("real_time", "time_unit", "items_per_second", "bytes_per_second",
                                        "fraction_of_copy") if k in b}
        if "error_message" in b:
            rows[name]["error"] = b["error_message"]
    summary["bench"] = rows
    note("bench", f"{len(rows)} rows")
peer = load(os.path.join(work, "peer.json"))
if peer:
    summary["peer"] = peer.get("table")
    note("peer", f"{len(peer.get('cases', {}))} cases on {peer.get('device')}")
metrics = load(os.path.join(work, "weather_metrics.json"))
times = load(os.path.join(work, "weather_times.json"))
if times:
    summary["weather"] = dict(times)
    note("weather", f"train {times['train_seconds']:.1f} s, eval {times['eval_seconds']:.1f} s on {times['device']}")
def find_key(obj, key):
    # The first value under `key` (depth first) that is a number, or a list
    # starting with one (per-target metrics).
    if isinstance(obj, dict):
        v = obj.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        if isinstance(v, list) and v and isinstance(v[0], (int, float)):
            return float(v[0])
        for child in obj.values():
            found = find_key(child, key)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for child in obj:
            found = find_key(child, key)
            if found is not None:
                return found
    return None
if metrics:
    for key in ("nll", "r2", "mae", "crps"):
        v = find_key(metrics, key)
        if v is not None:
            summary.setdefault("weather", {})[key] = v
    w = summary.get("weather", {})
    note("weather", ", ".join(f"{k} {w[k]:.4g}" for k in ("nll", "r2", "mae", "crps") if k in w))
try:
    text = open(os.path.join(work, "..", "logs", "interop.log")).read()
    summary["interop_tail"] = text.strip().splitlines()[-3:]
except OSError:
    pass
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2)
lines = [f"gpu-check ({mode}) at {summary['commit'].get('commit', '?')[:12]} "
         f"(uncommitted files: {summary['commit'].get('uncommitted_files', '?')})"]
lines.append(f"{'step':13} {'status':8} {'s':>7} {'limit':>6}  notes")
for s in summary["steps"]:
    lines.append(f"{s['step']:13} {s['status']:8} {s['seconds']:7.1f} {s['limit_s']:6d}  {notes.get(s['step'], '')}")
if bench:
    lines.append("")
    lines.append(f"{'mdn_bench row':52} {'time':>12} {'items/s':>11} {'of copy':>8}")
    for name, r in summary["bench"].items():
        t = f"{r.get('real_time', 0):.4g} {r.get('time_unit', '')}"
        ips = f"{r['items_per_second']:.4g}" if "items_per_second" in r else (
            f"{r['bytes_per_second'] / 1e9:.4g} GB/s" if "bytes_per_second" in r else "-")
        frac = f"{r['fraction_of_copy']:.2f}" if "fraction_of_copy" in r else ""
        lines.append(f"{name[:52]:52} {t:>12} {ips:>11} {frac:>8}" + (f"  {r['error']}" if "error" in r else ""))
if peer and peer.get("table"):
    lines.append("")
    lines.append(f"{'peer case':30} {'ours/s':>11} {'peer/s':>11} {'ours/peer':>9}")
    for r in peer["table"]:
        ours = f"{r['ours']:.4g}" if r.get("ours") else "-"
        ratio = f"{r['ratio']:.2f}x" if r.get("ratio") else "-"
        lines.append(f"{r['case'][:30]:30} {ours:>11} {r['peer']:>11.4g} {ratio:>9}")
text = "\n".join(lines) + "\n"
with open(os.path.join(out, "summary.txt"), "w") as f:
    f.write(text)
EOF
}

# ---------------------------------------------------------------------------
# Main: run the steps in order inside the budget, then bundle and summarise.

run_step() {  # NAME LIMIT_SECONDS
  local name=$1 limit=$2
  local elapsed remaining status rc t0 t1
  elapsed=$(awk -v a="$START" -v b="$(now)" 'BEGIN {printf "%d", b - a}')
  remaining=$((BUDGET - elapsed))
  local needed=15
  [ "$name" = peer ] && needed=60
  if [ "$remaining" -lt "$needed" ]; then
    printf '%s\tskipped\t0\t0\t%d\n' "$name" "$limit" >>"$WORK/steps.tsv"
    echo "== $name: skipped (the budget of $BUDGET s is spent)"
    return
  fi
  [ "$limit" -gt "$remaining" ] && limit=$remaining
  echo "== $name (limit ${limit} s; ${elapsed} s elapsed)"
  t0=$(now)
  timeout -k 10 "$limit" "$SELF" --step "$name" >"$LOGS/$name.log" 2>&1
  rc=$?
  t1=$(now)
  case $rc in
    0) status=ok ;;
    77) status=skipped ;;
    124|137) status=timeout ;;
    *) status=FAILED ;;
  esac
  printf '%s\t%s\t%d\t%s\t%d\n' "$name" "$status" "$rc" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')" "$limit" >>"$WORK/steps.tsv"
  echo "   $status (rc $rc) in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s; last lines:"
  tail -n 4 "$LOGS/$name.log" | cut -c1-200 | sed 's/^/   | /'
  if [ "$status" != ok ] && [ "$status" != skipped ]; then FAILED_STEPS="$FAILED_STEPS $name"; fi
  # A failed build leaves nothing to test: stop at once (the summary is still written).
  case $name in prefix|configure|build) [ "$status" = ok ] || STOP=1 ;; esac
}

main() {
  START=$(now)
  BUDGET=${GPU_CHECK_BUDGET:-500}
  [ "$MODE" = dry-run ] && BUDGET=${GPU_CHECK_BUDGET:-7200}
  OUT=${OUT:-$BUILD/out}
  export GPU_CHECK_MODE=$MODE BUILD PREFIX LOGS WORK JOBS CUDA_ARCH OUT STASH
  export ORIG_TF32_OVERRIDE=${NVIDIA_TF32_OVERRIDE:-}
  unset NVIDIA_TF32_OVERRIDE  # FP32 means FP32 (the GPU test fixture refuses it too)
  export LD_LIBRARY_PATH
  LD_LIBRARY_PATH=$(lib_path)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  if [ "$MODE" = device ]; then
    nvidia-smi -L >/dev/null 2>&1 || die "no GPU here (nvidia-smi -L failed): use --dry-run on a machine without one"
  fi
  rm -rf "$LOGS" "$WORK"
  mkdir -p "$LOGS" "$WORK" "$OUT"
  : >"$WORK/steps.tsv"
  FAILED_STEPS="" STOP=0
  # NAME:LIMIT, in order of value: the build and the tests, then memcheck,
  # the numbers, the other sanitizers, and the peer (torch.compile's
  # compile time is the least predictable) last.
  local steps=(env:60 prefix:60 configure:120 build:300 prefix_proof:30 ctest:200 memcheck:75
               bench:75 weather:120 interop:60 racecheck:45 initcheck:45 synccheck:30 peer:150)
  [ "$MODE" = dry-run ] && steps=(env:60 prefix:60 configure:300 build:1800 prefix_proof:30 ctest:600
               memcheck:60 bench:300 weather:300 interop:300 racecheck:60 initcheck:60 synccheck:60 peer:300)
  for s in "${steps[@]}"; do
    if [ "$STOP" = 1 ]; then
      printf '%s\tskipped\t0\t0\t0\n' "${s%%:*}" >>"$WORK/steps.tsv"
      continue
    fi
    run_step "${s%%:*}" "${s##*:}"
  done
  # At most 8 files in $OUT: bundle the logs, copy the results.
  for f in ctest.xml mdn_bench.json peer.json weather_metrics.json; do
    [ -f "$WORK/$f" ] && cp "$WORK/$f" "$OUT/$f"
  done
  [ -f "$LOGS/interop.log" ] && cp "$LOGS/interop.log" "$OUT/interop.txt"
  write_summary || echo "gpu-check: the summary could not be written" >&2
  (cd "$BUILD" && tar -czf "$OUT/logs.tar.gz" logs work/steps.tsv work/*.json work/*.txt 2>/dev/null)
  echo
  echo "files in $OUT: $(ls "$OUT" | tr '\n' ' ')($(du -sh "$OUT" | cut -f1))"
  echo "total $(awk -v a="$START" -v b="$(now)" 'BEGIN {printf "%.0f", b - a}') s"
  echo
  cat "$OUT/summary.txt" 2>/dev/null
  if [ -n "$FAILED_STEPS" ]; then echo "FAILED:$FAILED_STEPS"; return 1; fi
  echo "all steps ok or skipped"
}

MODE=${GPU_CHECK_MODE:-device}  # a --step child inherits its parent's mode
case ${1:-} in
  --prepare) prepare; exit $? ;;
  --dry-run) MODE=dry-run; main ;;
  --step) "step_${2:?--step NAME}" ;;
  ""|--device) MODE=device; main ;;
  -h|--help) sed -n '2,/^set -uo/p' "$SELF" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "unknown option $1 (--prepare, --dry-run, --help)" ;;
esac
