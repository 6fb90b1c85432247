#!/usr/bin/env bash
# One command on a fresh machine: install packages, build Release, run the demo.
#   tools/scripts/setup.sh [demo options, e.g. --out DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target mdn_cli
build/mdn demo "$@"
