#!/usr/bin/env python3
"""Wall time of `mdn train` with its defaults, for one or more builds side by side.

Each case (a data set and flags) is trained by every build in turn, round
after round, so the builds share the machine's state; the table shows the
median wall time of each and its ratio to the first build. Python 3 standard
library only. Run by hand, not by CTest:

    python3 bench/train_wall.py --mdn before=/tmp/old/mdn --mdn after=build/mdn \\
        --weather /path/to/weather_szeged.csv --rounds 5

The built-in cases are the quality panel's small sets with the default recipe
(batch 32, so OpenMP's fork/join cost shows) and a 5-member ensemble;
`--weather` adds the case study (a random 80/20 split's training rows, as
bench/quality/run.py makes them).
"""
import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import time


def run(cmd, env):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")
    return dt


def weather_train_csv(src, work):
    """The weather data's rows in a seeded random 80 % (the quality benchmark's split)."""
    out = os.path.join(work, "weather_train.csv")
    with open(src, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    random.Random(0).shuffle(body)
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(body[int(round(len(body) * 0.2)):])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mdn", action="append", required=True, metavar="NAME=PATH", help="a build to time; repeatable")
    p.add_argument("--work", default="/tmp/mdn-train-wall")
    p.add_argument("--weather", default="", help="weather_szeged.csv (the case is skipped when empty)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", default="", help="OMP_NUM_THREADS for every run (default: the environment's)")
    a = p.parse_args()
    builds = []
    for spec in a.mdn:
        name, sep, path = spec.partition("=")
        if not sep or not os.access(path, os.X_OK):
            p.error(f"--mdn {spec!r}: expected NAME=PATH to an executable")
        builds.append((name, path))
    os.makedirs(a.work, exist_ok=True)
    env = dict(os.environ)
    if a.threads:
        env["OMP_NUM_THREADS"] = a.threads
    first = builds[0][1]
    cases = []
    for name, rows, target in (("ring2d", 300, "y1,y2"), ("hetero", 3000, "y")):
        data = os.path.join(a.work, f"{name}_{rows}.csv")
        run([first, "data", name, "--rows", str(rows), "--seed", "1", "--out", data], env)
        cases.append((f"{name} {rows}", ["--data", data, "--target", target]))
        if rows == 300:
            cases.append((f"{name} {rows} --ensemble 5", ["--data", data, "--target", target, "--ensemble", "5"]))
    if a.weather:
        data = weather_train_csv(a.weather, a.work)
        cases.append(("weather random split", ["--data", data, "--target", "Apparent Temperature (C)",
                                               "--drop-invalid"]))
    print(f"| case | " + " | ".join(f"{n}, s" for n, _ in builds) + " | " +
          " | ".join(f"{n} / {builds[0][0]}" for n, _ in builds[1:]) + " |")
    print("|---" * (1 + 2 * len(builds) - 1) + "|")
    for label, args in cases:
        times = {n: [] for n, _ in builds}
        for _ in range(a.rounds):
            for n, path in builds:
                model = os.path.join(a.work, f"{n}.safetensors")
                times[n].append(run([path, "train", *args, "--model", model, "--seed", "1", "--quiet"], env))
        med = {n: statistics.median(v) for n, v in times.items()}
        base = med[builds[0][0]]
        print(f"| {label} | " + " | ".join(f"{med[n]:.2f}" for n, _ in builds) + " | " +
              " | ".join(f"{med[n] / base:.2f}" for n, _ in builds[1:]) + " |", flush=True)
    print(f"({a.rounds} rounds, median; OMP_NUM_THREADS={env.get('OMP_NUM_THREADS', 'unset')}; "
          f"load average at the end {os.getloadavg()})")


if __name__ == "__main__":
    main()
