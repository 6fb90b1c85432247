#!/usr/bin/env python3
"""Python overhead: MDNRegressor.fit / predict against the `mdn` program on the same data.

  tools/scripts/bench-python.sh [--rows 100000] [--repeats 5]

Writes one data set (D features, one target, float32 values as %.9g so the
CSV and the arrays hold the same numbers), then for each repeat times, on the
same device and thread count:

  - `mdn train` and `mdn predict --quantiles 0.05,0.5,0.95` end to end (wall);
  - mdn_python_overhead (bench/python_overhead.cpp): the same library calls as
    the CLI, with the CSV reading timed apart (and, for predict, no output CSV
    formatted), i.e. the CLI minus its CSV time;
  - MDNRegressor.fit(X, y) and .predict_quantiles(X, [0.05, 0.5, 0.95]) on the
    arrays (the same statistics as `mdn predict`: mean, std, 3 quantiles).

Same seed, same data: all three train the same model (checked). Prints the
medians as a markdown table; the overhead is Python / (CLI minus CSV) - 1.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import mdn


def timed(cmd):
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return wall, done.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mdn", required=True, help="the mdn program")
    p.add_argument("--harness", required=True, help="mdn_python_overhead")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--features", type=int, default=8)
    p.add_argument("--components", type=int, default=5)
    p.add_argument("--hidden", type=int, default=50)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, args.features)).astype(np.float32)
    y = (np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.3 * rng.normal(size=args.rows)).astype(np.float32)
    names = [f"f{i}" for i in range(args.features)]

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.csv")
        with open(data, "w") as f:
            f.write(",".join(names + ["y"]) + "\n")
            np.savetxt(f, np.column_stack([X, y]), fmt="%.9g", delimiter=",")
        assert np.array_equal(np.loadtxt(data, delimiter=",", skiprows=1, dtype=np.float32), np.column_stack([X, y]))
        cli_model, harness_model = os.path.join(tmp, "cli.safetensors"), os.path.join(tmp, "h.safetensors")
        out = os.path.join(tmp, "pred.csv")
        K, H, E, dev = str(args.components), str(args.hidden), str(args.epochs), args.device
        rows = {k: [] for k in ("cli_train", "h_train_csv", "h_train", "h_save", "py_fit",
                                "cli_predict", "h_predict_csv", "h_predict", "h_load", "py_predict")}
        for _ in range(args.repeats):
            wall, _ = timed([args.mdn, "train", "--data", data, "--target", "y", "--model", cli_model,
                             "--components", K, "--hidden", f"{H},{H}", "--epochs", E, "--seed", "0",
                             "--device", dev, "--quiet"])
            rows["cli_train"].append(wall)
            _, text = timed([args.harness, "train", data, "y", harness_model, K, H, E, "0", dev])
            h = json.loads(text)
            rows["h_train_csv"].append(h["csv_s"])
            rows["h_train"].append(h["compute_s"])
            rows["h_save"].append(h["save_s"])
            est = mdn.MDNRegressor(components=args.components, hidden=(args.hidden, args.hidden),
                                   epochs=args.epochs, device=dev, random_state=0)
            start = time.perf_counter()
            est.fit(X, y)
            rows["py_fit"].append(time.perf_counter() - start)

            wall, _ = timed([args.mdn, "predict", "--model", cli_model, "--data", data, "--out", out,
                             "--quantiles", "0.05,0.5,0.95", "--device", dev, "--quiet"])
            rows["cli_predict"].append(wall)
            _, text = timed([args.harness, "predict", cli_model, data, dev])
            h = json.loads(text)
            rows["h_load"].append(h["load_s"])
            rows["h_predict_csv"].append(h["csv_s"])
            rows["h_predict"].append(h["compute_s"])
            start = time.perf_counter()
            q = est.predict_quantiles(X, [0.05, 0.5, 0.95])
            rows["py_predict"].append(time.perf_counter() - start)

        # The three trained the same model: the CLI's file predicts what the estimator predicts.
        same = np.array_equal(mdn.load(cli_model, device=dev).predict_quantiles(X, [0.05, 0.5, 0.95]), q)

    med = {k: statistics.median(v) for k, v in rows.items()}
    fit_ref, pred_ref = med["h_train"], med["h_predict"]
    print(f"{args.rows} rows x {args.features} features, K = {args.components}, hidden {args.hidden}x2, "
          f"{args.epochs} epochs, device {args.device}, {os.environ.get('OMP_NUM_THREADS', os.cpu_count())} "
          f"threads, median of {args.repeats}; same model from CLI and Python: {same}\n")
    print("| step | CLI end to end (s) | CLI's CSV reading (s) | CLI minus CSV (s) | Python (s) | Python overhead |")
    print("|---|---|---|---|---|---|")
    print(f"| train / fit | {med['cli_train']:.3f} | {med['h_train_csv']:.3f} | {fit_ref:.3f} "
          f"(+ {med['h_save']:.3f} writing the model) | {med['py_fit']:.3f} | {100 * (med['py_fit'] / fit_ref - 1):+.1f}% |")
    print(f"| predict (mean, std, 3 quantiles) | {med['cli_predict']:.3f} | {med['h_predict_csv']:.3f} | {pred_ref:.3f} "
          f"(+ {med['h_load']:.3f} reading the model) | {med['py_predict']:.3f} | "
          f"{100 * (med['py_predict'] / pred_ref - 1):+.1f}% |")
    print("\nall runs (s):", json.dumps({k: [round(x, 4) for x in v] for k, v in rows.items()}))
    if not same:
        sys.exit("the CLI and Python did not train the same model")


if __name__ == "__main__":
    main()
