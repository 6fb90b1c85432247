#!/usr/bin/env python3
"""The peer: the seed article's PyTorch MDN, timed on the same work as mdn_bench.

Times, for the seed's architecture (tanh MLP with two hidden layers, three
linear heads, softmax/exp, the seed's mdn_loss with log(alpha + eps)) and Adam:
  - the full training step (forward, loss, backward, Adam) in eager mode and
    with torch.compile (the stronger peer), at each batch size;
  - sampling: the seed's sample_mdn loop (one Python iteration per draw, on a
    small N that is reported; never extrapolated) and a vectorised sampler
    (searchsorted over cumulative alpha + one normal draw per sample).
Then, given mdn_bench's JSON (--ours), prints one table: case, ours, peer,
ratio, and writes it as JSON (--json).

  python3 bench/peer_pytorch.py --device cuda --ours bench.json --json peer.json
  python3 bench/peer_pytorch.py --device cpu --threads 2 --ours bench_cpu.json
"""
import argparse
import itertools
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---- the seed's code (../shared/seed), unchanged apart from formatting ----------
def mdn_loss(alpha, sigma, mu, target, eps=1e-8):
    target = target.unsqueeze(1).expand_as(mu)
    m = torch.distributions.Normal(loc=mu, scale=sigma)
    log_prob = m.log_prob(target).sum(dim=2)
    log_alpha = torch.log(alpha + eps)
    loss = -torch.logsumexp(log_alpha + log_prob, dim=1)
    return loss.mean()


class MDN(nn.Module):
    def __init__(self, in_dim, out_dim, hidden, K):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.Tanh(),
            nn.Linear(hidden, hidden), nn.Tanh(),
        )
        self.z_alpha = nn.Linear(hidden, K)
        self.z_sigma = nn.Linear(hidden, K * out_dim)
        self.z_mu = nn.Linear(hidden, K * out_dim)
        self.K = K
        self.out_dim = out_dim

    def forward(self, x):
        h = self.backbone(x)
        alpha = F.softmax(self.z_alpha(h), dim=-1)
        sigma = torch.exp(self.z_sigma(h)).view(-1, self.K, self.out_dim)
        mu = self.z_mu(h).view(-1, self.K, self.out_dim)
        return alpha, sigma, mu


def sample_mdn(alpha, sigma, mu, samples=10):
    N, K, T = mu.shape
    preds = torch.zeros(N, samples, T)
    u = torch.rand(N, samples)
    csum = alpha.cumsum(dim=1)
    for i, j in itertools.product(range(N), range(samples)):
        k = torch.searchsorted(csum[i], u[i, j]).item()
        preds[i, j] = torch.normal(mu[i, k], sigma[i, k])
    return preds
# ----------------------------------------------------------------------------------


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


def timed(fn, device, repeats, warmup):
    """Median seconds of fn() over `repeats` runs after `warmup` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end) / 1e3)
        else:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


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

    seconds = timed(step, device, args.repeats, args.warmup if not compiled else max(args.warmup, 5))
    return batch / seconds


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
        seconds = timed(lambda: sample_vectorised(alpha, sigma, mu, s), device, args.repeats, args.warmup)
        results["sample_vectorised"] = {"draws_per_second": n * s / seconds, "rows": n, "samples": s,
                                        "device": str(device)}
    return results


def load_ours(path):
    """mdn_bench JSON (Google Benchmark format) -> {name: items_per_second}."""
    with open(path) as f:
        data = json.load(f)
    ours = {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        if "items_per_second" in b:
            ours[b["name"]] = b["items_per_second"]
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
    p.add_argument("--loop-rows", type=int, default=200)
    p.add_argument("--loop-samples", type=int, default=10)
    p.add_argument("--sample-rows", type=int, default=1_000_000)
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--ours", help="mdn_bench --benchmark_out JSON to compare against")
    p.add_argument("--map", default="", help="peer_case=our_benchmark_name pairs, comma-separated "
                   "(default: the names in OUR_NAMES below)")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()

    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    peer = {"device": torch.cuda.get_device_name() if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
            "torch": torch.__version__, "shape": {"D": args.D, "hidden": [args.hidden] * 2, "K": args.K, "T": args.T},
            "cases": {}}
    for batch in [int(b) for b in args.batches.split(",")]:
        peer["cases"][f"train_step_eager/{batch}"] = bench_train(args, device, batch, compiled=False)
        print(f"train step eager, batch {batch}: {peer['cases'][f'train_step_eager/{batch}']:.4g} samples/s",
              file=sys.stderr)
        if not args.no_compile:
            try:
                peer["cases"][f"train_step_compile/{batch}"] = bench_train(args, device, batch, compiled=True)
            except Exception as e:  # torch.compile needs a working compiler toolchain
                print(f"torch.compile failed: {e}", file=sys.stderr)
    sampling = bench_sampling(args, device)
    for name, r in sampling.items():
        peer["cases"][name] = r["draws_per_second"]
    peer["sampling"] = sampling

    # One table: case, ours, peer, ratio.
    our_names = dict(OUR_NAMES)
    if args.map:
        our_names.update(dict(item.split("=", 1) for item in args.map.split(",")))
    ours = load_ours(args.ours) if args.ours else {}
    rows = []
    for case, value in peer["cases"].items():
        key = case.replace("_eager", "").replace("_compile", "")
        ours_name = our_names.get(key, "").format(device=device.type)
        ours_value = ours.get(ours_name)
        rows.append({"case": case, "ours_benchmark": ours_name, "ours": ours_value, "peer": value,
                     "ratio": (ours_value / value) if ours_value else None})
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
# ({device} is cpu or cuda). Kept in step with bench/*.cpp.
OUR_NAMES = {
    "train_step/4096": "BM_TrainStep/{device}/D8_H64_K5_T1/4096/manual_time",
    "train_step/65536": "BM_TrainStep/{device}/D8_H64_K5_T1/65536/manual_time",
    "sample_seed_loop": "BM_Sample/{device}/K5_T1/1000000/manual_time",
    "sample_vectorised": "BM_Sample/{device}/K5_T1/1000000/manual_time",
}

if __name__ == "__main__":
    main()
