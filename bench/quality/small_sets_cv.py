#!/usr/bin/env python3
"""Calibration of small real data sets, pooled over cross-validation folds.

The quality panel (run.py) scores each set on one held-out split; for the
small sets that split has 36-92 test rows, so its 90 % coverage has a
standard error of 3-5 points and cannot tell 0.90 from 0.94. This script
scores every row once per repeat instead: R repeats of K-fold
cross-validation, the model of each fold trained on the other folds with
the Python package, and the test rows' PITs, NLLs and intervals pooled
(R * n rows per set and recipe; issue 26's "pooled over splits").

Recipes: the default single network (no recalibration; below 50
validation rows its conformal scores are cross-fitted) and the same with
``cross_fit=False`` (the recipe before that: scores from the validation
rows), a single network
with ``calibrate=True``, the default ``ensemble=5`` (recalibrated: calibrate
"auto"), and ``ensemble=5`` with ``calibrate=False``. Per recipe: NLL per
row, the mean calibration gap (mean over tau = 0.05 .. 0.95 of
|fraction of PIT <= tau - tau|, as ``mdn eval``), the model's own central
90 % coverage, and split-conformal 90 % coverage (the fold model's
conformal scores: its validation rows, or below 50 of them the out-of-fold
rows of its cross-fitting; '-' where a fold had none).

    build-python-venv/bin/python bench/quality/small_sets_cv.py [--repeats 3] [--folds 5]
    build-python-venv/bin/python bench/quality/small_sets_cv.py --synthetic --mdn build/mdn

``--synthetic`` instead scores conformal 90 % coverage on fresh draws of the
built-in sets (``mdn data``): per repeat a new training set and 2,000 new
test rows, so the rows are exchangeable by construction.

Data: scikit-learn's bundled diabetes (target: progression), wine
(target: alcohol, from the 12 other measurements) and iris (target: petal
width, from the other three measurements), all shipped inside the
scikit-learn package; nothing is downloaded.
"""
import argparse
import os
import sys
import warnings

import numpy as np


def data_sets():
    from sklearn.datasets import load_diabetes, load_iris, load_wine

    sets = {"diabetes": load_diabetes(return_X_y=True)}
    wine = load_wine().data
    sets["wine alcohol"] = (np.delete(wine, 0, axis=1), wine[:, 0])
    iris = load_iris().data
    sets["iris petal width"] = (iris[:, :3], iris[:, 3])
    return sets


RECIPES = {
    "single --no-cross-fit": dict(cross_fit=False),
    "single": dict(),
    "single --calibrate": dict(calibrate=True),
    "ensemble 5 (recalibrated)": dict(ensemble=5),
    "ensemble 5 --no-calibrate": dict(ensemble=5, calibrate=False),
}
LEVELS = np.arange(1, 20) * 0.05


def score_fold(model, X, y):
    pit = np.ravel(model.cdf(X, y))
    nll = -np.ravel(model.score_samples(X, y))
    own = np.ravel((pit > 0.05) & (pit < 0.95)).astype(float)
    try:
        iv = model.predict_interval(X, 0.9, method="conformal")
        lo, hi = iv[:, 0, 0], iv[:, 0, 1]
        conf = ((y >= lo) & (y <= hi)).astype(float)
    except ValueError:
        conf = np.full(len(y), np.nan)
    return pit, nll, own, conf


def run(args):
    import mdn

    warnings.simplefilter("ignore")
    print("| set | rows | recipe | NLL | cal. gap | 90 % cov. | conformal 90 % cov. |")
    print("|---|---|---|---|---|---|---|")
    for name, (X, y) in data_sets().items():
        for recipe, params in RECIPES.items():
            pits, nlls, owns, confs = [], [], [], []
            for rep in range(args.repeats):
                order = np.random.default_rng(rep).permutation(len(y))
                folds = np.array_split(order, args.folds)
                for f, test in enumerate(folds):
                    train = np.concatenate([folds[g] for g in range(args.folds) if g != f])
                    model = mdn.MDNRegressor(random_state=rep * args.folds + f, **params).fit(X[train], y[train])
                    for acc, v in zip((pits, nlls, owns, confs), score_fold(model, X[test], y[test])):
                        acc.append(v)
            pit, nll, own, conf = (np.concatenate(a) for a in (pits, nlls, owns, confs))
            gap = np.mean([abs(np.mean(pit <= t) - t) for t in LEVELS])
            conf_text = "-" if np.isnan(conf).all() else "%.3f" % np.nanmean(conf)
            print("| %s | %d | %s | %.3f | %.3f | %.3f | %s |" % (name, len(pit), recipe, np.mean(nll), gap,
                                                                 np.mean(own), conf_text))
            sys.stdout.flush()


def synthetic_draw(exe, name, rows, seed, work):
    import subprocess

    path = os.path.join(work, "%s_%d_%d.csv" % (name, rows, seed))
    subprocess.run([exe, "data", name, "--rows", str(rows), "--seed", str(seed), "--out", path], check=True,
                   capture_output=True)
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    os.remove(path)
    return table[:, :-1], table[:, -1]


def run_synthetic(args):
    import tempfile

    import mdn

    warnings.simplefilter("ignore")
    print("| set | model | repeats | conformal 90 % cov. (± s.e.) | own 90 % cov. |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        for name, rows, repeats in (("bishop", 300, 20), ("hetero", 300, 20), ("bishop", 3000, 5)):
            for ensemble in (1, 5):
                conformal, own = [], []
                for rep in range(repeats):
                    X, y = synthetic_draw(args.mdn, name, rows, 1000 + rep, work)
                    Xt, yt = synthetic_draw(args.mdn, name, 2000, 5000 + rep, work)
                    model = mdn.MDNRegressor(ensemble=ensemble, random_state=rep).fit(X, y)
                    iv = model.predict_interval(Xt, 0.9, method="conformal")
                    conformal.append(np.mean((yt >= iv[:, 0, 0]) & (yt <= iv[:, 0, 1])))
                    pit = np.ravel(model.cdf(Xt, yt))
                    own.append(np.mean((pit > 0.05) & (pit < 0.95)))
                print("| %s %d | %s | %d | %.3f ± %.3f | %.3f |" %
                      (name, rows, "single" if ensemble == 1 else "ensemble 5", repeats, np.mean(conformal),
                       np.std(conformal) / np.sqrt(repeats), np.mean(own)))
                sys.stdout.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="repeats of K-fold cross-validation (default 3)")
    p.add_argument("--folds", type=int, default=5, help="folds K (default 5)")
    p.add_argument("--synthetic", action="store_true", help="conformal coverage on fresh draws of the built-in sets")
    p.add_argument("--mdn", default="build/mdn", help="the mdn program, for --synthetic's data (default build/mdn)")
    args = p.parse_args()
    run_synthetic(args) if args.synthetic else run(args)


if __name__ == "__main__":
    main()
