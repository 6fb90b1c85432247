#!/usr/bin/env python3
"""Medians over the rounds of tools/scripts/bench_cpu_rounds.sh, as a Markdown
table: ours (and before, when timed), the PyTorch peer, the ratios, and the
share of the FP32 peak our step and forward pass reach.

  python3 bench/cpu_rounds_report.py DIR [--peak-gflops 235]
"""
import argparse
import glob
import json
import os
import statistics

SHAPE = "D8_H64x2_K5_T1"
# Matrix flops per sample at the reference shape (D 8, hidden 64 x 2, head 15):
# forward 2 (8*64 + 64*64 + 64*15) = 11,136; the step adds the weight
# gradients (the same again) and the input gradients of the two upper layers.
FLOPS = {"train": 32384, "forward": 11136}


CPU_TIME = False


def ours(path):
    """{benchmark: items/s}; with --cpu-time, items per second of the main
    thread's CPU time (Google Benchmark's cpu_time; all the work at 1 thread)."""
    with open(path) as f:
        rates = {}
        for b in json.load(f)["benchmarks"]:
            if "items_per_second" not in b:
                continue
            rate = b["items_per_second"]
            if CPU_TIME:
                rate *= b["real_time"] / b["cpu_time"]  # items per iteration / CPU time per iteration
            rates[b.get("run_name", b["name"])] = rate
        return rates


def medians(files, read):
    values = {}
    for path in sorted(files):
        for key, value in read(path).items():
            values.setdefault(key, []).append(value)
    return {key: (statistics.median(v), len(v)) for key, v in values.items()}


def fmt(x):
    return "-" if x is None else (f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.0f} k")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--peak-gflops", type=float, default=235.0)
    p.add_argument("--cpu-time", action="store_true", help="our rates from CPU time (the peer's JSON says its clock)")
    args = p.parse_args()
    global CPU_TIME
    CPU_TIME = args.cpu_time
    mine = medians(glob.glob(os.path.join(args.dir, "ours.*.json")), ours)
    before = medians(glob.glob(os.path.join(args.dir, "before.*.json")), ours)
    peer = medians(glob.glob(os.path.join(args.dir, "peer.*.json")), lambda path: json.load(open(path))["cases"])
    print("| case | ours | before | ours / before | PyTorch eager | ours / eager | torch.compile | ours / compile "
          "| ours GFLOP/s | % of peak |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind, case, batch in [("train", "TrainStep", 4096), ("train", "TrainStep", 65536),
                              ("forward", "Forward", 4096), ("forward", "Forward", 65536)]:
        name = f"BM_{case}/cpu/{SHAPE}/{batch}/manual_time"
        o = mine.get(name, (None, 0))[0]
        b = before.get(name, (None, 0))[0]
        key = "train_step" if kind == "train" else "forward"
        e = peer.get(f"{key}_eager/{batch}", (None, 0))[0]
        c = peer.get(f"{key}_compile/{batch}", (None, 0))[0]
        ratio = lambda x, y: f"{x / y:.2f}x" if x and y else "-"
        gflops = o * FLOPS[kind] / 1e9 if o else None
        label = f"{'training step' if kind == 'train' else 'forward'}, batch {batch:,}"
        print(f"| {label} | {fmt(o)} | {fmt(b)} | {ratio(o, b)} | {fmt(e)} | {ratio(o, e)} | {fmt(c)} | {ratio(o, c)} "
              f"| {'-' if gflops is None else f'{gflops:.1f}'} | "
              f"{'-' if gflops is None else f'{100 * gflops / args.peak_gflops:.0f}%'} |")
    counts = sorted({n for _, n in list(mine.values()) + list(before.values()) + list(peer.values())})
    print(f"\nmedians of {', '.join(map(str, counts))} rounds; rates in samples/s (rows/s for forward)"
          + ("; per second of CPU time" if CPU_TIME else ""))


if __name__ == "__main__":
    main()
