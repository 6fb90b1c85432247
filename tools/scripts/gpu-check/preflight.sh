# shellcheck shell=bash
# preflight (first step, a few seconds): can this machine build and run the
# check at all? It stops the check at once, with one clear line, when the
# build cannot work (no GPU visible, no nvcc, CMake < 3.25, no ninja, no g++,
# no cuBLAS, no carried packages, nvcc cannot compile a trivial kernel), so
# the device call is not spent on a configure or build failure. It also
# records, in $WORK/preflight.env, what later steps need:
#   PREFLIGHT_CUDA_ARCH  the GPU's compute capability (nvidia-smi compute_cap)
#   SANITIZER, SANITIZER_WHY  ok, or na with the reason: compute-sanitizer is
#       missing, or refuses the device (it does on the gVisor runtime): the
#       sanitizer steps then say "n/a" (not available here), not FAILED
#   MDN_NCCL_LIBRARY  libnccl.so.2 found (the system's, or PyTorch's wheel),
#       or NCCL=none: the NCCL test is then left out and the summary says so
# Exit: 0 ok; 1 the build cannot work (the driver stops the check); 3 the
# build can work but something is wrong (the tiny program fails on the GPU):
# FAILED, and the check goes on so that the tests say more.

PREFLIGHT_STOP=""
PREFLIGHT_PROBLEM=""
preflight_line() { printf '%-5s %-20s %s\n' "$1" "$2" "$3"; }
preflight_stop() { preflight_line STOP "$1" "$2"; PREFLIGHT_STOP="${PREFLIGHT_STOP:+$PREFLIGHT_STOP; }$1: $2"; }
preflight_env() { printf '%s=%q\n' "$1" "$2" >>"$WORK/preflight.env"; }

preflight_gpu() {
  if ! command -v nvidia-smi >/dev/null; then
    if [ "$MODE" = device ]; then preflight_stop nvidia-smi "missing: no NVIDIA driver here"
    else preflight_line note nvidia-smi "missing (expected in a dry run)"; fi
    return
  fi
  local q
  if ! q=$(nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader 2>&1) || [ -z "$q" ]; then
    if [ "$MODE" = device ]; then preflight_stop nvidia-smi "sees no GPU: $(echo "$q" | head -1)"
    else preflight_line note nvidia-smi "sees no GPU (expected in a dry run)"; fi
    return
  fi
  q=$(echo "$q" | head -1)
  preflight_line ok GPU "$q"
  local name mem driver cap
  IFS=',' read -r name mem driver cap <<<"$q"
  preflight_env GPU_NAME "$(echo "$name" | xargs)"
  preflight_env GPU_MEMORY "$(echo "$mem" | xargs)"
  preflight_env DRIVER "$(echo "$driver" | xargs)"
  cap=$(echo "$cap" | tr -d ' .')
  # Build for the GPU that is there, unless CUDA_ARCH was given.
  if [ -n "$cap" ] && [ -z "${CUDA_ARCH_FROM_USER:-}" ]; then CUDA_ARCH=$cap; fi
}

preflight_tools() {
  local t v
  for t in g++ ninja; do
    if command -v "$t" >/dev/null; then preflight_line ok "$t" "$("$t" --version | head -1)"
    else preflight_stop "$t" "missing (the build needs it)"; fi
  done
  if command -v cmake >/dev/null; then
    v=$(cmake --version | head -1 | awk '{print $3}')
    if [ "$(printf '%s\n3.25\n' "$v" | sort -V | head -1)" = 3.25 ]; then preflight_line ok cmake "$v"
    else preflight_stop cmake "$v is older than 3.25 (CMakeLists.txt's minimum)"; fi
  else
    preflight_stop cmake "missing"
  fi
  NVCC=$(command -v nvcc || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; } || true)
  if [ -n "$NVCC" ]; then preflight_line ok nvcc "$NVCC: $("$NVCC" --version | grep -o 'release [0-9.]*' | head -1)"
  else preflight_stop nvcc "missing (the CUDA backend cannot be built)"; fi
  # cuBLAS: the module links it (CMake's CUDA::cublas, from the toolkit).
  local toolkit lib=""
  toolkit=$(dirname "$(dirname "${NVCC:-/usr/local/cuda/bin/nvcc}")")
  lib=$(find "$toolkit"/lib64 "$toolkit"/targets/*/lib -maxdepth 1 -name 'libcublas.so*' 2>/dev/null | head -1 || true)
  [ -n "$lib" ] || lib=$(ldconfig -p 2>/dev/null | grep -o '/[^ ]*libcublas\.so[.0-9]*' | head -1 || true)
  if [ -n "$lib" ]; then preflight_line ok libcublas "$lib"
  else preflight_stop libcublas "not found in $toolkit nor by ldconfig (the CUDA module links it)"; fi
  if compgen -G "$STASH/debs/*.deb" >/dev/null; then preflight_line ok packages "$(find "$STASH/debs" -name '*.deb' | wc -l) .deb files in .gpu-check/debs"
  else preflight_stop packages "none in .gpu-check/debs: run tools/scripts/gpu-check.sh --prepare here first, and carry .gpu-check"; fi
  preflight_line info cores "$(nproc); $(free -g 2>/dev/null | awk '/^Mem:/ {print $2 " GiB memory"}'); $(df -h "$ROOT" | awk 'NR == 2 {print $4 " free on disk"}')"
}

# The tiny program: compiled by nvcc (a build that cannot compile it cannot
# build the backend), run on the GPU, then run under compute-sanitizer.
preflight_tiny() {
  [ -n "${NVCC:-}" ] || return
  local dir=$WORK/preflight out
  mkdir -p "$dir"
  if ! out=$("$NVCC" -O1 -arch="sm_$CUDA_ARCH" -o "$dir/tiny" "$HERE/tiny.cu" 2>&1); then
    preflight_stop "nvcc sm_$CUDA_ARCH" "cannot compile a trivial kernel: $(echo "$out" | grep -m1 -i error || echo "$out" | head -1)"
    return
  fi
  preflight_line ok "nvcc sm_$CUDA_ARCH" "compiles a trivial kernel"
  if [ "$MODE" != device ]; then
    preflight_line note "tiny program" "not run (no GPU in a dry run)"
    preflight_env SANITIZER na
    preflight_env SANITIZER_WHY "dry run: no GPU"
    return
  fi
  if out=$(timeout 30 "$dir/tiny" 2>&1) && grep -q 'tiny CUDA program: ok' <<<"$out"; then
    preflight_line ok "tiny program" "$(grep -m1 '^runtime' <<<"$out")"
  else
    preflight_line FAIL "tiny program" "$(tail -1 <<<"$out") ($(grep -m1 '^runtime' <<<"$out"))"
    PREFLIGHT_PROBLEM="the GPU cannot run a trivial CUDA program built by this nvcc: $(tail -1 <<<"$out")"
    preflight_env SANITIZER na
    preflight_env SANITIZER_WHY "not tried: the tiny program does not run on this GPU"
    return
  fi
  local cs
  cs=$(find_compute_sanitizer)
  if [ -z "$cs" ]; then
    preflight_line n/a compute-sanitizer "missing: the sanitizer steps are not available here"
    preflight_env SANITIZER na; preflight_env SANITIZER_WHY "compute-sanitizer not found"
    return
  fi
  if out=$(timeout 60 "$cs" --tool memcheck --error-exitcode 3 "$dir/tiny" 2>&1) &&
     grep -q 'tiny CUDA program: ok' <<<"$out" && grep -q 'ERROR SUMMARY: 0 errors' <<<"$out"; then
    preflight_line ok compute-sanitizer "$cs accepts the device"
    preflight_env SANITIZER ok
    preflight_env COMPUTE_SANITIZER "$cs"
  else
    local why
    why=$(grep -v '^runtime\|^device 0' <<<"$out" | grep -m1 -iE 'error|not supported|refus|unable|fail' || tail -1 <<<"$out")
    why=${why#"${why%%[!= ]*}"}  # without compute-sanitizer's "========= " prefix
    preflight_line n/a compute-sanitizer "refuses this device/runtime (gVisor?): $why"
    preflight_env SANITIZER na; preflight_env SANITIZER_WHY "compute-sanitizer refuses the device here: $why"
  fi
}

# NCCL for the one-rank NCCL test: the system's, or the copy PyTorch's wheels bring.
preflight_nccl() {
  local lib d
  lib=$(ldconfig -p 2>/dev/null | grep -o '/[^ ]*libnccl\.so\.2$' | head -1 || true)
  if [ -z "$lib" ] && command -v python3 >/dev/null; then
    for d in $(python3 -B -c 'import site; print(" ".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null); do
      for lib in "$d"/nvidia/nccl/lib/libnccl.so.2 "$d"/torch/lib/libnccl.so.2; do [ -f "$lib" ] && break 2; done
      lib=""
    done
  fi
  if [ -n "$lib" ]; then
    preflight_line ok NCCL "$lib"
    preflight_env MDN_NCCL_LIBRARY "$lib"
  else
    preflight_line n/a NCCL "libnccl.so.2 not found: NcclTest is left out of ctest (reported in the summary)"
    preflight_env NCCL none
  fi
}

step_preflight() {
  : >"$WORK/preflight.env"
  CUDA_ARCH=${CUDA_ARCH:-90}
  echo "mode: $MODE${QUICK:+ (quick)}   host: $(hostname)   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  preflight_gpu
  preflight_tools
  preflight_env PREFLIGHT_CUDA_ARCH "$CUDA_ARCH"
  [ -z "$PREFLIGHT_STOP" ] && preflight_tiny
  preflight_nccl
  if [ -n "$PREFLIGHT_STOP" ]; then
    preflight_env PREFLIGHT_STOP "$PREFLIGHT_STOP"
    echo "PREFLIGHT: the build cannot work here, the check stops: $PREFLIGHT_STOP"
    exit 1
  fi
  if [ -n "$PREFLIGHT_PROBLEM" ]; then
    preflight_env PREFLIGHT_PROBLEM "$PREFLIGHT_PROBLEM"
    echo "PREFLIGHT: $PREFLIGHT_PROBLEM (going on: the tests will say more)"
    exit 3
  fi
  echo "PREFLIGHT: ok"
}
