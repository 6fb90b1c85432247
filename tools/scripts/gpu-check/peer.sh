# shellcheck shell=bash
# peer: bench/peer_pytorch.py --device cuda (eager and torch.compile) against
# mdn_bench's JSON; the dry run a small CPU run without torch.compile.

step_peer() {
  # Parse only (no __pycache__ left in the tree, which would travel).
  python3 -B -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$ROOT/bench/peer_pytorch.py" || exit 1
  # PyTorch brings its own libraries: keep the prefix's out of its way.
  unset LD_LIBRARY_PATH
  if ! python3 -c 'import torch' 2>/dev/null; then echo "no PyTorch in $(command -v python3): skipped"; exit "$RC_SKIPPED"; fi
  local device=(--device cuda)
  if [ "$MODE" = dry-run ]; then
    device=(--device cpu --threads "$JOBS" --batches 1024 --no-compile --sample-rows 4096 --repeats 2 --warmup 1)
  fi
  PYTHONUNBUFFERED=1 python3 -B "$ROOT/bench/peer_pytorch.py" "${device[@]}" --repeats 10 --budget 2 \
    --ours "$WORK/mdn_bench.json" --json "$WORK/peer.json"
}
