#!/usr/bin/env bash
# Installs the Debian packages mdn builds and runs with. As root it runs
# apt-get; otherwise it prints the apt-get line to run and stops.
#   cmake g++          the build
#   libopenblas-dev    sgemm/dgemm for the CPU backend (a real BLAS, threaded)
#   libxsmm-dev        JIT small GEMMs for the CPU backend's row tiles (optional: without it OpenBLAS runs them)
#   libgtest-dev       GoogleTest (unit and command-line tests)
#   libbenchmark-dev   Google Benchmark (mdn_bench)
#   libcli11-dev       CLI11, the command-line parser of the mdn program
#   gnuplot-nox        draws the PNG pictures of `mdn eval --report`
#   nlohmann-json3-dev nlohmann-json: the model file's JSON header and the eval metrics JSON
#   zlib1g-dev         zlib: gzip-compressed CSV input (data.csv.gz)
#   python3-dev python3-venv   the Python package (pip install . in a virtual environment)
#   libopenmpi-dev openmpi-bin  MPI: `mpirun -np N mdn ...` (optional for the build; the tests run 2 ranks)
#   clang-tidy         the function_size test (no function over 150 lines)
# The CUDA toolkit is optional: found by CMake when installed.
set -euo pipefail
packages=(cmake g++ make libopenblas-dev libxsmm-dev libgtest-dev libbenchmark-dev gnuplot-nox nlohmann-json3-dev zlib1g-dev
          libcli11-dev python3-dev python3-venv libopenmpi-dev openmpi-bin clang-tidy)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "mdn needs these Debian packages; run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
