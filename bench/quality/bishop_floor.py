#!/usr/bin/env python3
"""The best a K-component Gaussian mixture can do on the `bishop` set.

For each x, p(y | x) is uniform on {y in [0, 1] : |x - g(y)| <= 0.1}, with
g(y) = y + 0.3 sin(2 pi y) (src/math/synthetic.cpp). No network can beat, at
any x, the K-component mixture q closest to it in KL(p || q); this script
finds that mixture by EM on a fine grid of y (several starts) and prints
E_x[KL(p(. | x) || q_x)], the excess NLL over the true density of an ideal
MDN with K components trained on infinite data. Needs numpy.

    python3 bench/quality/bishop_floor.py --components 5
"""
import argparse
import math

import numpy as np


def g(s):
    return s + 0.3 * np.sin(2 * np.pi * s)


def best_log_likelihood(y, k, rng, starts, iterations):
    """max over starts of E_p[log q], p uniform on the points y, q fitted by EM."""
    best = -math.inf
    for start in range(starts):
        mu = np.quantile(y, (np.arange(k) + 0.5) / k) if start == 0 else rng.choice(y, k)
        sd = np.full(k, 0.03)
        pi = np.full(k, 1.0 / k)
        for _ in range(iterations):
            lp = (np.log(pi)[:, None] - 0.5 * ((y[None] - mu[:, None]) / sd[:, None]) ** 2 - np.log(sd)[:, None]
                  - 0.5 * math.log(2 * math.pi))
            top = lp.max(axis=0)
            lse = top + np.log(np.exp(lp - top).sum(axis=0))
            r = np.exp(lp - lse)
            nk = r.sum(axis=1) + 1e-300
            pi = nk / nk.sum()
            mu = (r * y).sum(axis=1) / nk
            sd = np.sqrt((r * (y - mu[:, None]) ** 2).sum(axis=1) / nk) + 1e-7
        best = max(best, float(lse.mean()))
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--components", type=int, default=5)
    p.add_argument("--x-points", type=int, default=141, help="x grid over [-0.2, 1.2]")
    p.add_argument("--y-points", type=int, default=8000)
    p.add_argument("--starts", type=int, default=8)
    p.add_argument("--iterations", type=int, default=2000)
    a = p.parse_args()
    ys = (np.arange(a.y_points) + 0.5) / a.y_points
    rng = np.random.default_rng(0)
    total = weight = 0.0
    for x in np.linspace(-0.2, 1.2, a.x_points):
        inside = np.abs(x - g(ys)) <= 0.1
        measure = inside.sum() / a.y_points  # |support of p(. | x)|; p(x) = measure / 0.2
        if measure == 0:
            continue
        kl = math.log(1 / measure) - best_log_likelihood(ys[inside], a.components, rng, a.starts, a.iterations)
        total += measure * kl
        weight += measure
    print(f"K = {a.components}: E_x KL(p || best mixture) = {total / weight:.4f} nats "
          f"({a.x_points} x values, {a.y_points} y points)")


if __name__ == "__main__":
    main()
