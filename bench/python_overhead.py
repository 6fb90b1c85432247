#!/usr/bin/env python3
"""Python overhead: MDNRegressor.fit / predict against the `mdn` program on the same data.

  tools/scripts/bench-python.sh [--rows 100000] [--repeats 5]

Writes one data set (D features, one target, float32 values written as the
exact doubles they are, %.17g, so the CSV, which mdn reads in double, and the
arrays hold the same numbers), then for each repeat times, on the
same device and thread count:

  - `mdn train` and `mdn predict --quantiles 0.05,0.5,0.95` end to end (wall);
  - mdn_python_overhead (bench/python_overhead.cpp): the same library calls as
    the CLI, with the CSV reading timed apart (and, for predict, no output CSV
    formatted), i.e. the CLI minus its CSV time;
  - MDNRegressor.fit(X, y) and .predict_quantiles(X, [0.05, 0.5, 0.95]) on the
    arrays (the same statistics as `mdn predict`: mean, std, 3 quantiles).

Same seed, same data: all three train the same model (checked). Each is
timed by its wall clock and by its CPU time (user + system, all threads; from
getrusage), which a busy shared machine disturbs much less. Prints markdown
tables: the minimum wall time and the median CPU time of the repeats; the
overhead is Python / (CLI minus CSV) - 1.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

import mdn


def cpu(who):
    u = resource.getrusage(who)
    return u.ru_utime + u.ru_stime


def timed(cmd):
    """Wall and CPU seconds of a child process, and its stdout."""
    start, start_cpu = time.perf_counter(), cpu(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall, used = time.perf_counter() - start, cpu(resource.RUSAGE_CHILDREN) - start_cpu
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return wall, used, done.stdout


def timed_here(f):
    """Wall and CPU seconds of f() in this process, and its result."""
    start, start_cpu = time.perf_counter(), cpu(resource.RUSAGE_SELF)
    result = f()
    return time.perf_counter() - start, cpu(resource.RUSAGE_SELF) - start_cpu, result


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
            np.savetxt(f, np.column_stack([X, y]).astype(np.float64), fmt="%.17g", delimiter=",")
        assert np.array_equal(np.loadtxt(data, delimiter=",", skiprows=1, dtype=np.float64), np.column_stack([X, y]))
        cli_model, harness_model = os.path.join(tmp, "cli.safetensors"), os.path.join(tmp, "h.safetensors")
        out = os.path.join(tmp, "pred.csv")
        K, H, E, dev = str(args.components), str(args.hidden), str(args.epochs), args.device
        steps = ("cli_train", "h_train_csv", "h_train", "py_fit", "cli_predict", "h_predict_csv", "h_predict",
                 "py_predict")
        wall, cpu_s = {k: [] for k in steps}, {k: [] for k in steps}

        def add(step, w, c):
            wall[step].append(w)
            cpu_s[step].append(c)

        for _ in range(args.repeats):
            add("cli_train", *timed([args.mdn, "train", "--data", data, "--target", "y", "--model", cli_model,
                                     "--components", K, "--hidden", f"{H},{H}", "--epochs", E, "--seed", "0",
                                     "--device", dev, "--quiet"])[:2])
            h = json.loads(timed([args.harness, "train", data, "y", harness_model, K, H, E, "0", dev])[2])
            add("h_train_csv", h["csv_s"], h["csv_cpu_s"])
            add("h_train", h["compute_s"], h["compute_cpu_s"])
            est = mdn.MDNRegressor(components=args.components, hidden=(args.hidden, args.hidden),
                                   epochs=args.epochs, device=dev, random_state=0)
            add("py_fit", *timed_here(lambda: est.fit(X, y))[:2])

            add("cli_predict", *timed([args.mdn, "predict", "--model", cli_model, "--data", data, "--out", out,
                                       "--quantiles", "0.05,0.5,0.95", "--device", dev, "--quiet"])[:2])
            h = json.loads(timed([args.harness, "predict", cli_model, data, dev])[2])
            add("h_predict_csv", h["csv_s"], h["csv_cpu_s"])
            add("h_predict", h["compute_s"], h["compute_cpu_s"])
            w, c, q = timed_here(lambda: est.predict_quantiles(X, [0.05, 0.5, 0.95]))
            add("py_predict", w, c)

        # The three trained the same model: the CLI's file predicts what the estimator predicts.
        with warnings.catch_warnings():  # the CLI's model has feature names, X is an array
            warnings.simplefilter("ignore", UserWarning)
            same = np.array_equal(mdn.load(cli_model, device=dev).predict_quantiles(X, [0.05, 0.5, 0.95]), q)

    print(f"{args.rows} rows x {args.features} features, K = {args.components}, hidden {args.hidden}x2, "
          f"{args.epochs} epochs, device {args.device}, {os.environ.get('OMP_NUM_THREADS', os.cpu_count())} "
          f"threads, {args.repeats} repeats; same model from CLI and Python: {same}")
    for title, table, pick in (("wall time, minimum", wall, min), ("CPU time, median", cpu_s, statistics.median)):
        m = {k: pick(v) for k, v in table.items()}
        print(f"\n{title} (s):\n")
        print("| step | CLI end to end | CLI's CSV reading | CLI minus CSV | Python | Python overhead |")
        print("|---|---|---|---|---|---|")
        for name, cli, csv_, ref, py in (("train / fit", "cli_train", "h_train_csv", "h_train", "py_fit"),
                                          ("predict (mean, std, 3 quantiles)", "cli_predict", "h_predict_csv",
                                           "h_predict", "py_predict")):
            print(f"| {name} | {m[cli]:.3f} | {m[csv_]:.3f} | {m[ref]:.3f} | {m[py]:.3f} | "
                  f"{100 * (m[py] / m[ref] - 1):+.1f}% |")
    print("\nall runs, wall (s):", json.dumps({k: [round(x, 3) for x in v] for k, v in wall.items()}))
    print("all runs, CPU (s):", json.dumps({k: [round(x, 3) for x in v] for k, v in cpu_s.items()}))
    if not same:
        sys.exit("the CLI and Python did not train the same model")


if __name__ == "__main__":
    main()
