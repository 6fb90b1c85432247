#!/usr/bin/env bash
# The wheel of `pip wheel .` installs and works on its own: built into a
# temporary folder, installed into a fresh virtual environment with no
# package index, then, from an empty folder (no source tree in sight), the
# README's Python example runs, `mdn --version` prints the package's version,
# and the wheel's `mdn predict` reads the model file the example saved.
#   tools/scripts/test-wheel.sh [BUILD_DIR [pip -C options...]]
# tools/scripts/test-python.sh runs it after its pytest suite, with its own
# build folder and options, so the CMake build is reused (a no-op build, an
# install and the zip: well under a minute; the whole check takes about one
# minute on 2 cores, most of it the example's training). Alone it defaults to
# build-python/cpu and the CPU-only package.
#
# No network: the wheel's dependencies (numpy, scikit-learn and theirs) are
# the ones build-python-venv/ already holds (test-python.sh installs them),
# offered to the fresh environment through a .pth file, so pip finds them
# installed and `--no-index` works. "Another machine of the same platform"
# is imitated by the fresh environment and folder; the wheel links the same
# system libraries (OpenBLAS, libgomp, MPI when found: the Debian packages of
# tools/scripts/install-deps.sh), which such a machine needs installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
venv=build-python-venv
build=${1:-build-python/cpu}
shift || true
config=("$@")
if [ ${#config[@]} -eq 0 ] && [ "$build" = build-python/cpu ]; then config=(-Ccmake.define.MDN_ENABLE_CUDA=OFF); fi
[ -x "$venv/bin/python" ] || { echo "test-wheel: run tools/scripts/test-python.sh first (it makes $venv)" >&2; exit 1; }
started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/mdn-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "test-wheel: pip wheel . (build folder $build)" >&2
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
  "$venv/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation \
  -Cbuild-dir="$build" "${config[@]}" -w "$work/wheels" .
wheel=$(ls "$work"/wheels/mdn-*.whl)
echo "test-wheel: built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)" >&2

# A fresh environment from the interpreter build-python-venv was made with.
base=$("$venv/bin/python" -c 'import sys; print(sys._base_executable)')
"$base" -m venv "$work/venv"
py=$work/venv/bin/python
# The dependencies already installed in build-python-venv/, and nothing of
# mdn, the build tools or pip: links in a folder the fresh environment reads.
deps=$work/deps
mkdir "$deps"
from=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
for entry in "$from"/*; do
  case "$(basename "$entry")" in
    mdn | mdn-* | pip | pip-* | setuptools* | _distutils_hack | *.pth | __pycache__ | scikit_build* | nanobind*) ;;
    *) ln -s "$entry" "$deps/" ;;
  esac
done
echo "$deps" > "$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/mdn_wheel_test_deps.pth"
"$py" -m pip install -q --disable-pip-version-check --no-index --find-links "$work/wheels" mdn

# From an empty folder: the README's example (the indented block that starts
# with `import numpy as np, mdn`), then the program.
mkdir "$work/run"
"$py" - "$repo/README.md" > "$work/run/example.py" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
start = lines.index("    import numpy as np, mdn")
block = []
for line in lines[start:]:
    if line and not line.startswith("    "):
        break
    block.append(line[4:])
print("\n".join(block).strip())
EOF
cd "$work/run"
"$py" -c 'import mdn, sys; assert mdn.__file__.startswith(sys.prefix), mdn.__file__'  # the wheel's mdn
"$py" example.py
export PATH="$work/venv/bin:$PATH"
[ "$(command -v mdn)" = "$work/venv/bin/mdn" ] || { echo "test-wheel: mdn is not the wheel's" >&2; exit 1; }
version=$("$py" -c 'import mdn; print(mdn.__version__)')
mdn --version | head -1 | grep -qx "mdn $version" || { echo "test-wheel: mdn --version is not mdn $version" >&2; exit 1; }
printf 'x0\n0.25\n0.5\n0.75\n' > x.csv
mdn predict --model bishop.safetensors --data x.csv --out predictions.csv --quiet
[ "$(wc -l < predictions.csv)" -eq 4 ] || { echo "test-wheel: mdn predict wrote no predictions" >&2; exit 1; }
echo "test-wheel: the wheel installs and runs (example, mdn --version, mdn predict) in $((SECONDS - started)) s" >&2
