# shellcheck shell=bash
# interop: a small bishop model trained on the GPU, loaded by the image's
# safetensors and PyTorch (tools/scripts/interop_check.py).

step_interop() {
  local dir=$WORK/interop device=cuda
  [ "$MODE" = dry-run ] && device=cpu
  rm -rf "$dir"; mkdir -p "$dir"
  "$BUILD/b/mdn" data bishop --rows 2000 --seed 3 --out "$dir/bishop.csv" || exit 1
  "$BUILD/b/mdn" train --data "$dir/bishop.csv" --target y --model "$dir/bishop.safetensors" --components 5 \
    --hidden 32,32 --epochs 20 --seed 3 --device "$device" || exit 1
  python3 -B "$ROOT/tools/scripts/interop_check.py" --mdn "$BUILD/b/mdn" --model "$dir/bishop.safetensors" --data "$dir/bishop.csv"
}
