#!/usr/bin/env bash
# Fails when a function of the library, the kernels' host code or the mdn
# program is longer than 150 lines (clang-tidy's readability-function-size,
# lines including comments and blank lines), so each one fits in one's head.
# Run by CTest (`function_size`) on the build's compile_commands.json.
#   tools/scripts/check_function_size.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
if ! command -v clang-tidy >/dev/null; then
  echo "check_function_size: clang-tidy is not installed (Debian: clang-tidy)" >&2
  exit 1
fi
[ -f "$build/compile_commands.json" ] || { echo "check_function_size: no $build/compile_commands.json" >&2; exit 1; }
# The C++ translation units of src/ and tools/mdn/ (headers of include/, src/
# and kernels/ are checked through them).
mapfile -t units < <(python3 -c '
import json, os, sys
root = os.getcwd() + "/"
for entry in json.load(open(sys.argv[1])):
    f = entry["file"]
    rel = f[len(root):] if f.startswith(root) else f
    if rel.startswith(("src/", "tools/mdn/")) and rel.endswith(".cpp"):
        print(f)' "$build/compile_commands.json")
config='{Checks: "-*,readability-function-size", HeaderFilterRegex: "/(include|src|kernels)/", CheckOptions: [{key: readability-function-size.LineThreshold, value: 150}]}'
report=$(printf '%s\n' "${units[@]}" | xargs -P"$(nproc)" -n4 clang-tidy -p "$build" --quiet --config="$config" 2>/dev/null |
  grep -E 'exceeds recommended size|note: [0-9]+ lines' | sort -u || true)
if [ -n "$report" ]; then
  echo "$report"
  echo "check_function_size: functions over 150 lines (split them into named steps)" >&2
  exit 1
fi
echo "check_function_size: ${#units[@]} translation units, no function over 150 lines"
