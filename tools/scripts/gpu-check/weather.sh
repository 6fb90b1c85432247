# shellcheck shell=bash
# weather: docs/WEATHER.md's commands with --device cuda (150 epochs), train
# and eval timed; the dry run trains one epoch on the CPU.

step_weather() {
  local gz=$STASH/data/weather_szeged.csv.gz dir=$WORK/weather
  [ -f "$gz" ] || { echo "no .gpu-check/data/weather_szeged.csv.gz (run --prepare with the data): skipped"; exit "$RC_SKIPPED"; }
  rm -rf "$dir"; mkdir -p "$dir"
  gunzip -c "$gz" >"$dir/weatherHistory.csv" || exit 1
  python3 -B "$ROOT/tools/scripts/prepare_weather.py" --input "$dir/weatherHistory.csv" --out-dir "$dir" || exit 1
  local device=cuda epochs=150
  [ "$MODE" = dry-run ] && { device=cpu; epochs=1; }
  local t0 t1 t2
  t0=$(now)
  "$BUILD/b/mdn" train --data "$dir/weather_train.csv" --target "$WEATHER_TARGET" \
    --model "$dir/weather.safetensors" --hidden 64,64 --components 5 \
    --epochs "$epochs" --batch-size 256 --lr 0.0005 --patience 0 --seed 1 --device "$device" --drop-invalid || exit 1
  t1=$(now)
  "$BUILD/b/mdn" eval --model "$dir/weather.safetensors" --data "$dir/weather_test.csv" \
    --drop-invalid --device "$device" --json "$WORK/weather_metrics.json" || exit 1
  t2=$(now)
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$device" -v e="$epochs" \
    'BEGIN {printf "{\"device\": \"%s\", \"epochs\": %d, \"train_seconds\": %.2f, \"eval_seconds\": %.2f}\n", d, e, b - a, c - b}' \
    >"$WORK/weather_times.json"
  cat "$WORK/weather_times.json"
}
