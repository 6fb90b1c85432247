# shellcheck shell=bash
# env: what the machine has, for the record (versions, nvidia-smi, Python
# packages, what the system has of the build's dependencies, what was
# carried, the commit). Informational: it always succeeds; deciding whether
# the check can run at all is the preflight's job.

step_env() {
  echo "mode: $MODE${QUICK:+ (quick)}   date: $(date -u +%Y-%m-%dT%H:%M:%SZ)   host: $(hostname)"
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
  local t
  for t in cmake ninja g++ gcc nvcc compute-sanitizer ncu dpkg ar gnuplot python3; do
    printf '%-18s %s\n' "$t" "$(command -v "$t" || echo MISSING)"
  done
  cmake --version 2>&1 | head -1; g++ --version 2>&1 | head -1; nvcc --version 2>&1 | tail -2
  python3 -B - <<'PY' 2>&1
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
PY
  echo "--- what the system has of the build's dependencies (informational; the build uses the prefix)"
  ldconfig -p 2>/dev/null | grep -E 'libopenblas|libgfortran|libbenchmark|libgtest|libnccl' || echo "(none in ldconfig)"
  local h
  for h in /usr/include/gtest/gtest.h /usr/include/benchmark/benchmark.h /usr/include/nlohmann/json.hpp /usr/include/CLI/CLI.hpp; do
    if [ -e "$h" ]; then echo "present: $h"; else echo "absent:  $h"; fi
  done
  echo "--- carried"
  ls -l "$STASH" "$STASH/debs" "$STASH/data" 2>&1
  du -sh "$STASH" 2>/dev/null
  exit 0
}
