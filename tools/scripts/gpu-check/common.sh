# shellcheck shell=bash disable=SC2034  # the variables are for the files that source this one
# What every part of the GPU check shares: paths, the carried packages, the
# sanitizer and benchmark filters, small helpers. Sourced by gpu-check.sh
# (the driver) after it has set ROOT; sets nothing else in motion.

STASH=$ROOT/.gpu-check
BUILD=${BUILD_DIR:-$ROOT/build-gpucheck}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PREFIX=$BUILD/prefix
LOGS=$BUILD/logs
WORK=$BUILD/work
JOBS=${JOBS:-$(nproc)}
MULTIARCH=x86_64-linux-gnu
# CUDA_ARCH: from the environment, else the preflight's reading of the GPU
# (nvidia-smi compute_cap) in $WORK/preflight.env, else 90 (H100/H200).

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
# Adam, forward chunks, sampling, predictive), so each tool ends in bounded
# time. Every ':'-separated pattern must match a test (checked by each step).
F_TRAIN='CudaTraining.GraphReplayEqualsTheUncapturedStep:CudaTraining.EpochVisitsEveryRowIncludingThePartialBatch'
F_PARITY='KTBatchRegime/CudaParity.ForwardLossGradientAndAdamMatchTheCpu/K3_T2_n37_Typical'
# Full covariance (issue 30): its captured step and its sampling kernel path.
F_FULL='CudaFullCovTraining.GraphReplayedStepsEqualTheUncapturedStepAndFollowTheCpu:CudaFullCovPrediction.SamplesAreTheCpuDrawsWithTheMixtureMoments'
F_MEMCHECK="$F_TRAIN:$F_PARITY:KTBatchRegime/CudaParity.ForwardLossGradientAndAdamMatchTheCpu/K32_T8_n37_FarTargets:CudaTraining.NonFiniteLossIsCaughtAndNoUpdateIsApplied:CudaBackendApi.*:GpuSampling.AgreesWithTheCpuSamplerDrawForDraw:GpuPredictive.MatchesCpuOnRandomMixtures:$F_FULL"
F_RACECHECK="$F_TRAIN:$F_PARITY:GpuSampling.AgreesWithTheCpuSamplerDrawForDraw:GpuPredictive.MatchesCpuOnRandomMixtures:$F_FULL"
F_INITCHECK="$F_TRAIN:$F_PARITY:GpuSampling.AgreesWithTheCpuSamplerDrawForDraw:GpuPredictive.MatchesCpuOnRandomMixtures"
F_SYNCCHECK="$F_TRAIN:$F_PARITY:GpuSampling.AgreesWithTheCpuSamplerDrawForDraw"

# mdn_bench rows: the headline shapes (BENCHMARKS.md's reference shape
# D8_H64x2_K5_T1, batches 4,096 and 65,536; 2^20 rows for the head, the
# sampler and the copy), plus the CPU training step at the same shape for
# the cuda/cpu ratio on the same machine. --quick runs the CUDA rows alone.
# Full covariance beside diagonal at T = 2 (issue 30): the CUDA step and head
# at 65,536 rows, both covariances (4 rows).
BENCH_CUDA_ROWS='TrainStep/cuda/D8_H64x2_K5_T1/(4096|65536)|HeadLossGrad/cuda/K5_T1/1048576|Sample/cuda/K5_T1/1048576|SampleWithTransfers/cuda/K5_T1/1048576|Copy/cuda/bytes/268435456|Forward/cuda/D8_H64x2_K5_T1/65536|Quantiles/cuda/K5_T1/65536|TrainStep/cuda/D8_H64x2_K5_T2(_full)?/65536|HeadLossGrad/cuda/K5_T2(_full)?/65536'
BENCH_FILTER="^BM_($BENCH_CUDA_ROWS|TrainStep/cpu/D8_H64x2_K5_T1/(4096|65536))/"
BENCH_ROWS_EXPECTED=14
BENCH_FILTER_QUICK="^BM_($BENCH_CUDA_ROWS)/"
BENCH_ROWS_EXPECTED_QUICK=12

WEATHER_TARGET="Apparent Temperature (C)"

# The targets --quick builds: the GPU tests (and the backend contract), the
# CUDA module, the mdn program and the benchmarks.
QUICK_TARGETS=(mdn_tests_gpu mdn_tests_backend mdn_cuda mdn_cli mdn_bench)

# Exit statuses of a step, beyond 0 (ok) and 1 (FAILED).
RC_SKIPPED=77  # nothing to do here (no data, no PyTorch): "skipped"
RC_NA=76       # the tool is missing or refuses the device: "n/a" ("not available here"), not a failure

die() { echo "gpu-check: $*" >&2; exit 1; }
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }

lib_path() {
  echo "$PREFIX/usr/lib/$MULTIARCH/openblas-pthread:$PREFIX/usr/lib/$MULTIARCH"
}

# KEY=VALUE lines the preflight wrote (CUDA_ARCH, SANITIZER, NCCL_LIBRARY, ...).
load_preflight() {
  # shellcheck disable=SC1091  # written at run time
  [ -f "$WORK/preflight.env" ] && . "$WORK/preflight.env"
  CUDA_ARCH=${CUDA_ARCH:-${PREFLIGHT_CUDA_ARCH:-90}}
}

# compute-sanitizer, wherever the image put it ("" when nowhere).
find_compute_sanitizer() {
  local c nvcc_dir
  c=$(command -v compute-sanitizer || true)
  nvcc_dir=$(dirname "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")
  for c in "$c" "$nvcc_dir/compute-sanitizer" "$nvcc_dir/../compute-sanitizer/compute-sanitizer" \
           /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
    [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return; }
  done
}
