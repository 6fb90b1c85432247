#!/usr/bin/env bash
# Builds the Python package with `pip install .` (the project's CMake build
# through scikit-build-core and nanobind) into a virtual environment and runs
# its pytest suite (tests/python/).
#   tools/scripts/test-python.sh [pytest options, e.g. -k interrupt]
# The environment is build-python-venv/ (git-ignored; created on the first
# run, reused after), with the pinned versions of tests/python/requirements.txt;
# the CMake build is kept in build-python/ so a second run only recompiles
# what changed. The CLI interop tests use the `mdn` program at $MDN_EXE
# (default build/mdn, which tools/scripts/test.sh builds first) and skip
# without it.
#
# After the suite, tools/scripts/test-wheel.sh checks the wheel of
# `pip wheel .` in a fresh environment (MDN_TEST_WHEEL=0 skips it).
#
# MDN_PYTHON_CUDA=auto|on|off (default auto): `auto` builds the CUDA backend
# into the package only where a GPU is present (nvidia-smi lists one), since
# only there can the tests run it; elsewhere (CI) it builds the CPU-only
# package and saves compiling the kernels a second time (build/ has them).
# `on` builds what plain `pip install .` builds: CUDA whenever the toolkit
# is found.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=build-python-venv
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
  # Debian's python3 needs python3-venv for this; install-deps.sh has it.
  "$python" -m venv "$venv" 2>/dev/null || { rm -rf "$venv"; tools/scripts/install-deps.sh; "$python" -m venv "$venv"; }
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r tests/python/requirements.txt

cuda=${MDN_PYTHON_CUDA:-auto}
if [ "$cuda" = auto ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then cuda=on; else cuda=off; fi
fi
build=build-python/cuda
config=()
if [ "$cuda" = off ]; then build=build-python/cpu; config=(-Ccmake.define.MDN_ENABLE_CUDA=OFF); fi
echo "test-python: pip install . (CUDA backend: $cuda) into $venv" >&2
# --no-build-isolation: build with the pinned scikit-build-core and nanobind
# installed above instead of fetching them again for every build; with them
# at fixed paths, the CMake build in build-python/ can be kept between runs.
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation \
  -Cbuild-dir="$build" "${config[@]}" .
echo "$build" > build-python/last-build  # for tools/scripts/bench-python.sh
MDN_EXE="${MDN_EXE:-$PWD/build/mdn}" "$venv/bin/python" -m pytest -ra tests/python "$@"
# Then the wheel of `pip wheel .` in a fresh environment (about a minute,
# with the build above reused); MDN_TEST_WHEEL=0 skips it (e.g. with -k).
if [ "${MDN_TEST_WHEEL:-1}" != 0 ]; then
  tools/scripts/test-wheel.sh "$build" "${config[@]}"
fi
