#!/usr/bin/env python3
"""Training over MPI ranks, side by side in alternating rounds
(docs/DISTRIBUTED.md, BENCHMARKS.md): data-parallel samples/s for 1 and N
ranks and the bytes each step exchanges; and (--ensemble M) the wall time of
an M-member ensemble on 1 rank and with its members shared out over N ranks.

  python3 bench/distributed/scaling.py --mdn build/mdn [--ranks 2] [--rows 200000]
      [--epochs 3] [--batch-size 4096] [--rounds 3] [--threads 1] [--json OUT.json]

Each run is `mdn train` on the same synthetic set (hetero, D = 1) or --data
CSV --target COL, with the given batch, no validation split and a fixed
number of epochs; the rate is the last epoch line's samples/s of rank 0 (the
whole global batch per step, so N ranks report global samples/s). Every rank
runs OMP_NUM_THREADS=--threads threads.
"""
import argparse
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time


def train(mdn, ranks, data, target, args, model):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OMP_WAIT_POLICY="passive",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    command = [mdn, "train", "--data", data, "--target", target, "--model", model, "--device", "cpu",
               "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--val-fraction", "0",
               "--seed", "1", "--progress", "lines"]
    if ranks > 1:
        command = ["mpirun", "--oversubscribe", "-np", str(ranks)] + command
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{run.stderr}")
    rates = re.findall(r"(\d+) samples/s", run.stderr)
    if not rates:
        sys.exit(f"no 'samples/s' in the output of {' '.join(command)}:\n{run.stderr}")
    return float(rates[-1])


def ensemble_seconds(mdn, ranks, data, target, args, model):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OMP_WAIT_POLICY="passive",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    command = [mdn, "train", "--data", data, "--target", target, "--model", model, "--device", "cpu",
               "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--seed", "1",
               "--ensemble", str(args.ensemble), "--quiet"]
    if ranks > 1:
        command = ["mpirun", "--oversubscribe", "-np", str(ranks)] + command
    start = time.perf_counter()
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{run.stderr}")
    return time.perf_counter() - start


def parameter_count(model):
    with open(model, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
    count = 0
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        n = 1
        for d in tensor["shape"]:
            n *= d
        count += n
    return count


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mdn", default="build/mdn")
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--rows", type=int, default=200000)
    p.add_argument("--data", help="a CSV instead of the synthetic set (with --target)")
    p.add_argument("--target", default="y")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=4096)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--ensemble", type=int, default=0,
                   help="also time an ensemble of this many members on 1 rank and on --ranks ranks")
    p.add_argument("--json", help="write the figures as JSON")
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = os.path.join(tmp, "hetero.csv")
            subprocess.run([args.mdn, "data", "hetero", "--rows", str(args.rows), "--seed", "1", "--out", data],
                           check=True, capture_output=True)
        model = os.path.join(tmp, "m.safetensors")
        rates = {1: [], args.ranks: []}
        load = []
        for r in range(args.rounds):
            load.append(os.getloadavg()[0])
            for ranks in (1, args.ranks):
                rates[ranks].append(train(args.mdn, ranks, data, args.target, args, model))
        params = parameter_count(model)
        seconds = {1: [], args.ranks: []}
        for r in range(args.rounds if args.ensemble > 0 else 0):
            for ranks in (1, args.ranks):
                seconds[ranks].append(ensemble_seconds(args.mdn, ranks, data, args.target, args, model))

    one, many = statistics.median(rates[1]), statistics.median(rates[args.ranks])
    n = args.ranks
    payload = 4 * (params + 1)  # the gradient and the batch loss, float32
    result = {
        "batch_size": args.batch_size, "threads_per_rank": args.threads, "rounds": args.rounds,
        "parameters": params, "samples_per_second": {"1": rates[1], str(n): rates[args.ranks]},
        "median": {"1": one, str(n): many}, "ratio": many / one,
        "bytes_per_step_per_rank_sent": payload,
        "bytes_per_step_per_rank_received": (n - 1) * payload,
        "load_average_1min_per_round": load,
    }
    print(f"data-parallel training, batch {args.batch_size}, {args.threads} thread(s) per rank, "
          f"{args.rounds} alternating rounds (medians; 1-min load {', '.join(f'{l:.1f}' for l in load)})")
    print(f"  1 rank : {one:12,.0f} samples/s   {rates[1]}")
    print(f"  {n} ranks: {many:12,.0f} samples/s   {rates[args.ranks]}")
    print(f"  ratio {n} ranks / 1 rank: {many / one:.2f}")
    print(f"  parameters {params}: each step each rank sends {payload} bytes (gradient + loss) and receives "
          f"{(n - 1) * payload} (all-gather, then the sum in rank order)")
    if args.ensemble > 0:
        s1, sn = statistics.median(seconds[1]), statistics.median(seconds[args.ranks])
        result["ensemble"] = {"members": args.ensemble, "seconds": {"1": seconds[1], str(n): seconds[args.ranks]},
                              "speedup": s1 / sn}
        print(f"ensemble of {args.ensemble} members, wall time (medians): 1 rank {s1:.2f} s, {n} ranks {sn:.2f} s, "
              f"speed-up {s1 / sn:.2f} (M/N sequential members would be {min(n, args.ensemble):.0f}x)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
