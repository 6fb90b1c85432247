#!/usr/bin/env python3
"""The peer: the seed article's PyTorch MDN, timed on the same work as mdn_bench.

Times, for the seed's architecture (tanh MLP with two hidden layers, three
linear heads, softmax/exp, the seed's mdn_loss with log(alpha + eps)) and Adam:
  - the full training step (forward, loss, backward, Adam) in eager mode and
    with torch.compile (the stronger peer), at each batch size;
  - the forward pass in eager mode (no_grad; x in, the mixture parameters
    out) at each --forward-rows;
  - sampling: the seed's sample_mdn loop (one Python iteration per draw, on a
    small N that is reported; never extrapolated) and a vectorised sampler
    (searchsorted over cumulative alpha + one normal draw per sample).
Then, given mdn_bench's JSON (--ours), prints one table: case, ours, peer,
ratio, and writes it as JSON (--json).

  python3 bench/peer_pytorch.py --device cuda --ours bench.json --json peer.json
  python3 bench/peer_pytorch.py --device cpu --threads 2 --ours bench_cpu.json
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch


# The seed's mdn_loss, MDN and sample_mdn: bench/seed_mdn.py, beside this script.
from seed_mdn import MDN, mdn_loss, sample_mdn


def sample_vectorised(alpha, sigma, mu, samples):
    """Categorical by inverse CDF, then one Gaussian per draw; (N, S, T)."""
    N, K, T = mu.shape
    csum = alpha.cumsum(dim=1)
    u = torch.rand(N, samples, device=alpha.device)
    k = torch.searchsorted(csum, u).clamp_(max=K - 1)           # (N, S)
    idx = k.unsqueeze(-1).expand(N, samples, T)
    m = torch.gather(mu, 1, idx)
    s = torch.gather(sigma, 1, idx)
    return m + s * torch.randn_like(m)


def timed(fn, device, repeats, warmup, budget_seconds=5.0):
    """Median seconds of fn() after `warmup` runs: `repeats` runs, or fewer
    (at least 3) once `budget_seconds` have been spent on them."""
    for _ in range(warmup):
        fn()
    times = []
    while len(times) < repeats and (len(times) < 3 or sum(times) < budget_seconds):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end) / 1e3)
        else:
            clock = time.process_time if CPU_TIME else time.perf_counter
            t0 = clock()
            fn()
            times.append(clock() - t0)
    return statistics.median(times)


# --cpu-time: time the CPU cases by the process's CPU time (all its threads)
# instead of the wall clock; with --threads 1 on a loaded machine this counts
# the work, not the waits for a core.
CPU_TIME = False


def make_data(n, D, T, device, seed=0):
    g = torch.Generator(device="cpu").manual_seed(seed)
    x = torch.randn(n, D, generator=g)
    t = (torch.sin(x[:, :T] * 2.0) + 0.1 * torch.randn(n, T, generator=g))
    return x.to(device), t.to(device)


def bench_train(args, device, batch, compiled):
    torch.manual_seed(0)
    model = MDN(args.D, args.T, args.hidden, args.K).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, t = make_data(batch, args.D, args.T, device)
    loss_fn = (lambda xb, tb: mdn_loss(*model(xb), tb))
    if compiled:
        loss_fn = torch.compile(loss_fn)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(x, t)
        loss.backward()
        opt.step()

    seconds = timed(step, device, args.repeats, args.warmup if not compiled else max(args.warmup, 5), args.budget)
    return batch / seconds


def bench_forward(args, device, rows):
    torch.manual_seed(0)
    model = MDN(args.D, args.T, args.hidden, args.K).to(device)
    x, _ = make_data(rows, args.D, args.T, device)
    with torch.no_grad():
        seconds = timed(lambda: model(x), device, args.repeats, args.warmup, args.budget)
    return rows / seconds


def bench_sampling(args, device):
    torch.manual_seed(0)
    model = MDN(args.D, args.T, args.hidden, args.K).to(device)
    results = {}
    with torch.no_grad():
        # The seed's loop: one Python iteration per draw; a small N, reported.
        n_loop, s_loop = args.loop_rows, args.loop_samples
        x, _ = make_data(n_loop, args.D, args.T, torch.device("cpu"))
        alpha, sigma, mu = MDN(args.D, args.T, args.hidden, args.K)(x)
        t0 = time.perf_counter()
        sample_mdn(alpha, sigma, mu, samples=s_loop)
        results["sample_seed_loop"] = {"draws_per_second": n_loop * s_loop / (time.perf_counter() - t0),
                                       "rows": n_loop, "samples": s_loop, "device": "cpu"}
        # Vectorised on the device, from precomputed mixtures (as mdn's kernel).
        n, s = args.sample_rows, args.samples
        x, _ = make_data(n, args.D, args.T, device)
        alpha, sigma, mu = model(x)
        seconds = timed(lambda: sample_vectorised(alpha, sigma, mu, s), device, args.repeats, min(args.warmup, 1),
                        args.budget)
        results["sample_vectorised"] = {"draws_per_second": n * s / seconds, "rows": n, "samples": s,
                                        "device": str(device)}
    return results


def load_ours(path):
    """mdn_bench JSON (Google Benchmark format) -> {name: items_per_second}; the
    median aggregate when it was run with --benchmark_repetitions."""
    with open(path) as f:
        data = json.load(f)
    entries = data.get("benchmarks", [])
    if any(b.get("aggregate_name") == "median" for b in entries):
        entries = [b for b in entries if b.get("aggregate_name") == "median"]
    ours = {}
    for b in entries:
        if b.get("error_occurred"):
            continue
        if "items_per_second" in b:
            ours[b.get("run_name", b["name"])] = b["items_per_second"]
    return ours


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch default)")
    p.add_argument("--D", type=int, default=8)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--K", type=int, default=5)
    p.add_argument("--T", type=int, default=1)
    p.add_argument("--batches", default="4096,65536")
    p.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    p.add_argument("--forward-rows", default="65536", help="row counts of the forward case ('' = skip it)")
    p.add_argument("--no-sampling", action="store_true", help="skip the sampling cases")
    p.add_argument("--cpu-time", action="store_true", help="CPU cases: process CPU time instead of wall time")
    p.add_argument("--loop-rows", type=int, default=200)
    p.add_argument("--loop-samples", type=int, default=10)
    p.add_argument("--sample-rows", type=int, default=1 << 20)
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--budget", type=float, default=5.0,
                   help="stop repeating a case after this many seconds (at least 3 repeats)")
    p.add_argument("--ours", help="mdn_bench --benchmark_out JSON to compare against")
    p.add_argument("--map", default="", help="case=our_benchmark_name pairs, comma-separated, case one of "
                   "train_step, forward, sample_seed_loop, sample_vectorised; the name may use {device} {batch} {D} "
                   "{hidden} {K} {T} (default: OUR_NAMES below)")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()

    device = torch.device(args.device)
    global CPU_TIME
    CPU_TIME = args.cpu_time and device.type == "cpu"
    if args.threads:
        torch.set_num_threads(args.threads)
    peer = {"device": torch.cuda.get_device_name() if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
            "torch": torch.__version__, "threads": torch.get_num_threads(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "load_avg_start": os.getloadavg(),
            "clock": "process CPU time" if CPU_TIME else "wall",
            "shape": {"D": args.D, "hidden": [args.hidden] * 2, "K": args.K, "T": args.T}, "cases": {}}
    for batch in [int(b) for b in args.batches.split(",")]:
        peer["cases"][f"train_step_eager/{batch}"] = bench_train(args, device, batch, compiled=False)
        print(f"train step eager, batch {batch}: {peer['cases'][f'train_step_eager/{batch}']:.4g} samples/s",
              file=sys.stderr)
        if not args.no_compile:
            try:
                print(f"train step torch.compile, batch {batch} (compiling)...", file=sys.stderr)
                peer["cases"][f"train_step_compile/{batch}"] = bench_train(args, device, batch, compiled=True)
            except Exception as e:  # torch.compile needs a working compiler toolchain
                print(f"torch.compile failed: {e}", file=sys.stderr)
    for rows in [int(r) for r in args.forward_rows.split(",") if r]:
        peer["cases"][f"forward_eager/{rows}"] = bench_forward(args, device, rows)
        print(f"forward eager, {rows} rows: {peer['cases'][f'forward_eager/{rows}']:.4g} rows/s", file=sys.stderr)
    sampling = {} if args.no_sampling else bench_sampling(args, device)
    for name, r in sampling.items():
        peer["cases"][name] = r["draws_per_second"]
    peer["sampling"] = sampling
    peer["load_avg_end"] = os.getloadavg()

    # One table: case, ours, peer, ratio.
    our_names = dict(OUR_NAMES)
    if args.map:
        our_names.update(dict(item.split("=", 1) for item in args.map.split(",")))
    ours = load_ours(args.ours) if args.ours else {}
    rows = []
    for case, value in peer["cases"].items():
        key, _, batch = case.replace("_eager", "").replace("_compile", "").partition("/")
        ours_name = our_names.get(key, "").format(device=device.type, batch=batch, D=args.D, hidden=args.hidden,
                                                  K=args.K, T=args.T)
        ours_value = ours.get(ours_name)
        rows.append({"case": case, "ours_benchmark": ours_name, "ours": ours_value, "peer": value,
                     "ratio": (ours_value / value) if ours_value else None})
    print(f"peer: torch {torch.__version__} on {peer['device']}; load average {peer['load_avg_start'][0]:.2f} at the "
          f"start, {peer['load_avg_end'][0]:.2f} at the end" + (
              f"; seed loop on {sampling['sample_seed_loop']['rows']} rows x "
              f"{sampling['sample_seed_loop']['samples']} draws, vectorised on {sampling['sample_vectorised']['rows']} "
              f"rows x {sampling['sample_vectorised']['samples']}" if sampling else ""))
    print(f"{'case':34} {'ours /s':>12} {'peer /s':>12} {'ours/peer':>10}")
    for r in rows:
        ours_text = f"{r['ours']:.4g}" if r["ours"] else "-"
        ratio_text = f"{r['ratio']:.2f}x" if r["ratio"] else "-"
        print(f"{r['case']:34} {ours_text:>12} {r['peer']:>12.4g} {ratio_text:>10}")
    peer["table"] = rows
    if args.json:
        with open(args.json, "w") as f:
            json.dump(peer, f, indent=2)


# Which mdn_bench benchmark measures the same work as each peer case
# ({device} is cpu or cuda; {batch} the batch size). Kept in step with
# bench/*.cpp (names BM_<Case>/<device>/<shape>/<batch>/manual_time); the shape
# is the peer's --D/--hidden/--K/--T, so only the reference shape matches
# unless mdn_bench runs that shape too.
OUR_NAMES = {
    "train_step": "BM_TrainStep/{device}/D{D}_H{hidden}x2_K{K}_T{T}/{batch}/manual_time",
    "forward": "BM_Forward/{device}/D{D}_H{hidden}x2_K{K}_T{T}/{batch}/manual_time",
    "sample_seed_loop": "BM_Sample/{device}/K{K}_T{T}/1048576/manual_time",
    "sample_vectorised": "BM_Sample/{device}/K{K}_T{T}/1048576/manual_time",
}

if __name__ == "__main__":
    main()
