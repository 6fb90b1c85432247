#!/usr/bin/env python3
"""Quality benchmark of the default training recipe (issue 14).

Trains `mdn` with each recipe on a panel of data sets and prints the held-out
NLL, CRPS, RMSE, R², calibration gap and 90 % coverage (from `mdn eval
--json`), plus the wall time of each training run. Python 3 standard library
only; it calls the built `mdn` program. Run by hand, not by CTest:

    python3 bench/quality/run.py --mdn build/mdn --work /tmp/mdn-quality \
        --weather /path/to/weatherHistory.csv \
        --sklearn-data /usr/lib/python3/dist-packages/sklearn/datasets/data

Recipes: `old` is the recipe before issue 14 spelled out in flags (200 epochs,
batch 256, constant lr 1e-3, patience 30, sigma floor 1e-3, no target noise,
no weight averaging); `new` is `mdn train` with its
defaults; `ens5` adds `--ensemble 5` (skipped when the program has no such
flag). Synthetic sets come with their exact conditional log-density
(`mdn data --log-density`), so their table shows the excess NLL over the truth.
"""
import argparse
import csv
import gzip
import json
import math
import os
import random
import shlex
import subprocess
import sys
import time

RECIPES = {
    "old": ["--epochs", "200", "--batch-size", "256", "--lr", "0.001", "--schedule", "constant", "--patience", "30",
            "--sigma-floor", "0.001", "--target-noise", "0", "--weight-average", "0"],
    "new": [],
    "ens5": ["--ensemble", "5"],
    # The model search (docs/TRAINING.md, "Model search"): 50 configurations, then the final model.
    "tune50": ["--tune", "50"],
    "tune50_ens5": ["--tune", "50", "--ensemble", "5"],
}


def run(cmd, log):
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        t0 = time.time()
        r = subprocess.run(cmd, stdout=f, stderr=f)
        dt = time.time() - t0
    if r.returncode != 0:
        raise RuntimeError(f"command failed ({r.returncode}): {' '.join(cmd)}; see {log}")
    return dt


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def split_rows(rows, seed, test_fraction=0.2):
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    n_test = int(round(len(rows) * test_fraction))
    return rows[n_test:], rows[:n_test]


def prepare_sets(args, work):
    """Returns a list of dicts: name, train, test, target, features (or None), extra train/eval flags, truth column."""
    sets = []
    for name in [n for n in args.synthetic.split(",") if n]:
        if not name:
            continue
        if name == "lognormal":
            sets.extend(lognormal_sets(args, work))
            continue
        for rows in [int(r) for r in args.rows.split(",")]:
            for seed in [int(v) for v in args.data_seeds.split(",")]:
                # Data seed 1 keeps the names (and folders) of the single-seed table.
                suffix = "" if seed == 1 else f" s{seed}"
                d = os.path.join(work, f"{name}_{rows}" + ("" if seed == 1 else f"_s{seed}"))
                os.makedirs(d, exist_ok=True)
                train, test = os.path.join(d, "train.csv"), os.path.join(d, "test.csv")
                run([args.mdn, "data", name, "--rows", str(rows), "--seed", str(seed), "--out", train],
                    os.path.join(d, "log"))
                run([args.mdn, "data", name, "--rows", str(args.test_rows), "--seed", "777", "--log-density", "--out",
                     test], os.path.join(d, "log"))
                targets = {"bishop": "y", "hetero": "y", "ring2d": "y1,y2"}[name]
                sets.append(dict(name=f"{name} {rows}{suffix}", dir=d, train=train, test=test, target=targets,
                                 features="x", flags=[], truth="true_log_density"))
    if args.weather:
        for split in ["year", "random"]:
            d = os.path.join(work, f"weather_{split}")
            os.makedirs(d, exist_ok=True)
            run([sys.executable, os.path.join(args.repo, "tools/scripts/prepare_weather.py"), "--input", args.weather,
                 "--out-dir", d, "--split", split, "--seed", "0"], os.path.join(d, "log"))
            sets.append(dict(name=f"weather {split}", dir=d, train=os.path.join(d, "weather_train.csv"),
                             test=os.path.join(d, "weather_test.csv"), target="Apparent Temperature (C)",
                             features=None, flags=["--drop-invalid"], truth=None))
    if args.sklearn_data:
        data = args.sklearn_data
        # diabetes: 442 rows, 10 features (raw units), target = disease progression after one year.
        d = os.path.join(work, "diabetes")
        os.makedirs(d, exist_ok=True)
        with gzip.open(os.path.join(data, "diabetes_data_raw.csv.gz"), "rt") as f:
            x = [line.split() for line in f if line.strip()]
        with gzip.open(os.path.join(data, "diabetes_target.csv.gz"), "rt") as f:
            y = [line.split()[0] for line in f if line.strip()]
        header = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "progression"]
        rows = [xi + [yi] for xi, yi in zip(x, y)]
        tr, te = split_rows(rows, 1)
        write_csv(os.path.join(d, "train.csv"), header, tr)
        write_csv(os.path.join(d, "test.csv"), header, te)
        sets.append(dict(name="diabetes", dir=d, train=os.path.join(d, "train.csv"), test=os.path.join(d, "test.csv"),
                         target="progression", features=None, flags=[], truth=None))
        # wine: 178 rows; target = alcohol, features = the other 12 measurements (class label left out).
        d = os.path.join(work, "wine")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(data, "wine_data.csv")) as f:
            lines = [l.strip().split(",") for l in f if l.strip()]
        header = ["alcohol", "malic_acid", "ash", "alcalinity", "magnesium", "phenols", "flavanoids", "nonflavanoid",
                  "proanthocyanins", "color", "hue", "od280", "proline"]
        rows = [l[:13] for l in lines[1:]]
        tr, te = split_rows(rows, 1)
        write_csv(os.path.join(d, "train.csv"), header, tr)
        write_csv(os.path.join(d, "test.csv"), header, te)
        sets.append(dict(name="wine alcohol", dir=d, train=os.path.join(d, "train.csv"),
                         test=os.path.join(d, "test.csv"), target="alcohol", features=None, flags=[], truth=None))
    return sets


def lognormal_rows(rows, seed):
    """A skewed, heteroscedastic target (docs/TRAINING.md, "Target transforms"):
    y = exp(1 + 0.8 x + (0.3 + 0.5 |x|) e), x ~ U(-1, 1), e ~ N(0, 1), with
    its exact conditional log-density."""
    rng = random.Random(seed)
    out = []
    for _ in range(rows):
        x = rng.uniform(-1.0, 1.0)
        s = 0.3 + 0.5 * abs(x)
        z = rng.gauss(0.0, 1.0)
        y = math.exp(1.0 + 0.8 * x + s * z)
        out.append([f"{x:.9g}", f"{y:.12g}", f"{-0.5 * z * z - math.log(s) - 0.5 * math.log(2 * math.pi) - math.log(y):.12g}"])
    return out


def lognormal_sets(args, work):
    sets = []
    for rows in [int(r) for r in args.rows.split(",")]:
        d = os.path.join(work, f"lognormal_{rows}")
        os.makedirs(d, exist_ok=True)
        train, test = os.path.join(d, "train.csv"), os.path.join(d, "test.csv")
        write_csv(train, ["x", "y", "true_log_density"], lognormal_rows(rows, 1))
        write_csv(test, ["x", "y", "true_log_density"], lognormal_rows(args.test_rows, 777))
        sets.append(dict(name=f"lognormal {rows}", dir=d, train=train, test=test, target="y", features="x", flags=[],
                         truth="true_log_density"))
    return sets


def true_nll(path, column):
    with open(path) as f:
        r = csv.DictReader(f)
        v = [-float(row[column]) for row in r]
    return sum(v) / len(v)


def evaluate(args, s, recipe):
    model = os.path.join(s["dir"], f"{recipe}.safetensors")
    log = os.path.join(s["dir"], f"{recipe}.log")
    cmd = [args.mdn, "train", "--data", s["train"], "--target", s["target"], "--model", model, "--seed", "1",
           "--device", args.device, "--quiet"] + s["flags"] + RECIPES[recipe]
    if s["features"]:
        cmd += ["--features", s["features"]]
    tune_log = os.path.join(s["dir"], f"{recipe}.tune.json")
    if "--tune" in RECIPES[recipe]:
        cmd += ["--tune-log", tune_log]
    seconds = run(cmd, log)
    out = os.path.join(s["dir"], f"{recipe}.json")
    run([args.mdn, "eval", "--model", model, "--data", s["test"], "--device", args.device, "--json", out] + s["flags"],
        log)
    with open(out) as f:
        m = json.load(f)
    ts = m["targets"]

    def mean(key):
        return sum(t[key] for t in ts) / len(ts)

    cov90 = sum(next(i["coverage"] for i in t["intervals"] if abs(i["level"] - 0.9) < 1e-9) for t in ts) / len(ts)
    row = dict(set=s["name"], recipe=recipe, nll=m["nll"], crps=mean("crps"), rmse=mean("rmse"),
               r2=(mean("r2") if all(t["r2"] is not None for t in ts) else None),
               cal=sum(t["calibration"]["mean_abs_error"] for t in ts) / len(ts), cov90=cov90, seconds=seconds,
               epochs=len(m.get("history", {}).get("train_nll", [])))
    if s["truth"]:
        row["excess"] = m["nll"] - true_nll(s["test"], s["truth"])
    # The target transform the model holds (what --target-transform auto chose).
    info = subprocess.run([args.mdn, "info", model, "--json"], capture_output=True, text=True)
    if info.returncode == 0:
        targets = json.loads(info.stdout).get("targets", [])
        row["transform"] = ",".join(t.get("transform", "none") + (f"({t['transform_lambda']:.3g})"
                                    if "transform_lambda" in t else "") for t in targets)
    if "--tune" in RECIPES[recipe]:  # which trial the search chose (0: the recipe) and over which one
        with open(tune_log) as f:
            best = json.load(f).get("best", {})
        row["tune_best_trial"] = best.get("trial")
        row["tune_recipe_kept_over_trial"] = best.get("recipe_kept_over_trial")
    b = m.get("before_calibration")
    if b:  # the same model without its recalibration (mdn eval scores both)
        row["nll_uncal"] = b["nll"]
        row["cal_uncal"] = sum(t["calibration"]["mean_abs_error"] for t in b["targets"]) / len(b["targets"])
        row["cov90_uncal"] = sum(next(i["coverage"] for i in t["intervals"] if abs(i["level"] - 0.9) < 1e-9)
                                 for t in b["targets"]) / len(b["targets"])
    return row


def define_recipes(parser, definitions, wanted, table):
    """Adds the --recipe NAME=FLAGS definitions to `table`; refuses a wanted recipe it does not hold."""
    for r in definitions:
        name, sep, flags = r.partition("=")
        if not sep or not name:
            parser.error(f"--recipe {r!r}: expected NAME=FLAGS")
        table[name] = shlex.split(flags)
    unknown = [r for r in wanted if r not in table]
    if unknown:
        parser.error(f"unknown recipe(s) {', '.join(unknown)} (known: {', '.join(table)}; define more with --recipe)")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--repo", default=os.path.normpath(os.path.join(here, "..", "..")))
    p.add_argument("--mdn", default="build/mdn")
    p.add_argument("--work", default="/tmp/mdn-quality")
    p.add_argument("--weather", default="", help="weatherHistory.csv (skipped when empty)")
    p.add_argument("--sklearn-data", default="", help="scikit-learn's datasets/data folder (skipped when empty)")
    p.add_argument("--synthetic", default="hetero,bishop,ring2d",
                   help="built-in sets to run (empty: none); also 'lognormal', a skewed set this script writes")
    p.add_argument("--rows", default="300,3000,30000")
    p.add_argument("--test-rows", type=int, default=20000)
    p.add_argument("--data-seeds", default="1",
                   help="seeds of the synthetic training sets (`mdn data --seed`); more than one shows how much of a "
                        "difference is the draw of a small training set (the test set is always seed 777)")
    p.add_argument("--recipes", default="old,new,ens5")
    p.add_argument("--recipe", action="append", default=[], metavar="NAME=FLAGS",
                   help='define (or redefine) a recipe as flags added to `mdn train`, e.g. '
                        'ema0=\"--weight-average 0\"; name it in --recipes too. Repeatable.')
    p.add_argument("--only", default="", help="comma-separated substrings: run only sets whose name contains one")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", default="", help="also write all rows as JSON here")
    args = p.parse_args()
    define_recipes(p, args.recipe, args.recipes.split(","), RECIPES)
    os.makedirs(args.work, exist_ok=True)
    sets = prepare_sets(args, args.work)
    if args.only:
        sets = [s for s in sets if any(k in s["name"] for k in args.only.split(","))]
    recipes = args.recipes.split(",")
    t0 = time.time()
    rows = []
    hdr = ("| set | recipe | NLL | excess NLL | CRPS | RMSE | R² | cal. gap | 90% cov. | "
           "uncalibrated: NLL / cal. gap / 90% cov. | epochs | train s | target transform |")
    print(hdr)
    print("|" + "---|" * 13)
    for s in sets:
        for recipe in recipes:
            try:
                row = evaluate(args, s, recipe)
            except RuntimeError as e:
                print(f"| {s['name']} | {recipe} | failed: {e} |", flush=True)
                continue
            rows.append(row)
            ex = f"{row['excess']:.4f}" if "excess" in row else "–"
            r2 = f"{row['r2']:.5f}" if row["r2"] is not None else "–"
            unc = (f"{row['nll_uncal']:.4f} / {row['cal_uncal']:.4f} / {row['cov90_uncal']:.3f}"
                   if "nll_uncal" in row else "–")
            print(f"| {row['set']} | {recipe} | {row['nll']:.4f} | {ex} | {row['crps']:.4g} | {row['rmse']:.4g} | {r2} | "
                  f"{row['cal']:.4f} | {row['cov90']:.3f} | {unc} | {row['epochs']} | {row['seconds']:.1f} | "
                  f"{row.get('transform', '–')} |",
                  flush=True)
    # Several data seeds: the mean excess NLL per set and size, recipe by recipe.
    means = {}
    for row in rows:
        if "excess" in row:
            key = (row["set"].split(" s")[0], row["recipe"])
            means.setdefault(key, []).append(row["excess"])
    if any(len(v) > 1 for v in means.values()):
        print("\n| set | recipe | mean excess NLL | data seeds |\n|---|---|---|---|")
        for (name, recipe), v in means.items():
            print(f"| {name} | {recipe} | {sum(v) / len(v):.4f} | {len(v)} |")
    print(f"total wall time {time.time() - t0:.0f} s; load average at the end {os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
