#!/usr/bin/env python3
"""The measurement behind the recalibration method (issue 26, docs/TRAINING.md).

Compares, on the same calibration and test rows of one trained model, the
candidates for recalibrating a one-target predictive mixture:

  scale S   a mixture of S copies of the model with every sigma scaled by
            c_s (weights beta_s), fitted by EM on the calibration rows'
            likelihood: S = 1 is the old sigma scale (`--calibrate` before
            issue 26); it keeps the model a Gaussian mixture (candidate a).
  pit M     the cumulative histogram of the calibration PITs over M bins
            (one pseudo-count per bin) as a map G of the PIT: the
            distribution G(F(y | x)) (candidate b, what mdn ships).

It reads the mixtures from `mdn predict --params --keep TARGET` files of
the calibration and test rows (alpha_k, mu_k_*, sigma_k_* columns) and
prints held-out NLL, the mean PIT calibration gap and 90 % coverage:

    mdn predict --model m.safetensors --data cal.csv --params --keep Y --out cal_params.csv
    mdn predict --model m.safetensors --data test.csv --params --keep Y --out test_params.csv
    python3 bench/quality/recalibration_candidates.py cal_params.csv test_params.csv

numpy and scipy (tools/scripts/test-python.sh's venv has both).
"""
import csv
import sys

import numpy as np
from scipy.special import logsumexp, ndtr
from scipy.stats import norm

TAUS = np.arange(0.05, 0.96, 0.05)


def load(path):
    """(y, alpha, mu, sigma) of a `--params --keep Y` file; Y is the first column."""
    with open(path) as f:
        rows = list(csv.reader(f))
    header, a = rows[0], np.array([[float(v) for v in r] for r in rows[1:]])
    ia = [i for i, n in enumerate(header) if n.startswith("alpha_")]
    alpha = a[:, ia]
    return a[:, 0], alpha / alpha.sum(1, keepdims=True), a[:, [i + 1 for i in ia]], a[:, [i + 2 for i in ia]]


def scaled(alpha, mu, sigma, beta, c):
    """The scale mixture: S copies with weights beta_s and sigmas times c_s."""
    return (np.concatenate([alpha * b for b in beta], 1), np.concatenate([mu] * len(beta), 1),
            np.concatenate([sigma * s for s in c], 1))


def nll(y, alpha, mu, sigma):
    return -logsumexp(np.log(np.maximum(alpha, 1e-300)) + norm.logpdf((y[:, None] - mu) / sigma) - np.log(sigma),
                      1).mean()


def cdf(y, alpha, mu, sigma):
    return (alpha * ndtr((y[:, None] - mu) / sigma)).sum(1)


def fit_scales(y, alpha, mu, sigma, S, iterations=300):
    """EM for the weights beta_s and scales c_s of the scale mixture."""
    u2 = ((y[:, None] - mu) / sigma) ** 2
    c = {1: np.array([1.0]), 2: np.array([0.6, 1.5])}.get(S, np.geomspace(0.35, 2.5, S))
    beta = np.ones(S) / S
    for _ in range(iterations):
        log_r = np.stack([np.log(alpha) + np.log(b) + norm.logpdf(np.sqrt(u2) / s) - np.log(sigma * s)
                          for b, s in zip(beta, c)], 2)
        r = np.exp(log_r - logsumexp(log_r, (1, 2), keepdims=True))
        beta = r.sum((0, 1)) / len(y)
        c = np.clip(np.sqrt((r * u2[:, :, None]).sum((0, 1)) / r.sum((0, 1))), np.exp(-3), np.exp(3))
    return beta, c


def report(name, test_nll, pit):
    gap = np.mean([abs((pit <= t).mean() - t) for t in TAUS])
    cover = ((pit >= 0.05) & (pit <= 0.95)).mean()
    print(f"| {name} | {test_nll:.4f} | {gap:.4f} | {cover:.3f} |")


def main():
    yc, ac, mc, sc = load(sys.argv[1])
    yt, at, mt, st = load(sys.argv[2])
    print(f"{len(yc)} calibration rows, {len(yt)} test rows\n")
    print("| candidate | test NLL | cal. gap | 90% cov. |\n|---|---|---|---|")
    report("none", nll(yt, at, mt, st), cdf(yt, at, mt, st))
    for S in (1, 2, 3):
        beta, c = fit_scales(yc, ac, mc, sc, S)
        t = scaled(at, mt, st, beta, c)
        report(f"scale {S}", nll(yt, *t), cdf(yt, *t))
    pc, pt = cdf(yc, ac, mc, sc), cdf(yt, at, mt, st)
    for M in (10, 20, 40):
        counts = np.histogram(pc, M, (0, 1))[0] + 1.0
        w = counts / counts.sum()
        knots = np.concatenate([[0.0], np.cumsum(w)])
        g = w * M
        bins = np.minimum((pt * M).astype(int), M - 1)
        report(f"pit {M}", nll(yt, at, mt, st) - np.log(g[bins]).mean(), np.interp(pt, np.linspace(0, 1, M + 1), knots))


if __name__ == "__main__":
    main()
