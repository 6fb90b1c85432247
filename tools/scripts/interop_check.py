#!/usr/bin/env python3
"""Model files interoperate: load an mdn model with the `safetensors` package
into the seed article's PyTorch MDN module and check its mixture against
`mdn predict --params` on the same rows.

  python3 tools/scripts/interop_check.py --mdn build/mdn --model m.safetensors --data d.csv

Exit status 0 when every alpha, mu and sigma agrees within
atol + rtol*|torch| (defaults 1e-5 and 1e-4; mu and sigma compared in the
model's standardised units, where float32 rounding is ~1e-7, so a mean near 0
in original units is not judged by its relative error), 1 otherwise, 77 when
torch or safetensors is not installed (skip).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

# The seed's module and its loading (bench/seed_mdn.py, shared with the peer
# benchmark and the Python tests).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
try:
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file

    import seed_mdn
except ImportError as e:  # pragma: no cover
    print(f"interop_check: {e}; skipping", file=sys.stderr)
    sys.exit(77)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mdn", required=True, help="path of the mdn program")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--atol", type=float, default=1e-5)
    args = p.parse_args()

    with safe_open(args.model, framework="pt") as f:
        meta = f.metadata()
    module, spec, stats = seed_mdn.from_model_file(load_file(args.model), meta)
    features, targets = json.loads(meta["mdn.features"]), json.loads(meta["mdn.targets"])
    T, K = spec["target_dim"], spec["components"]

    with open(args.data, newline="") as f:
        rows = list(csv.DictReader(f))
    x = torch.tensor([[float(r[c]) for c in features] for r in rows], dtype=torch.float64)
    alpha, mu, sigma = seed_mdn.standardised_mixture(module, spec, stats, x)

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "params.csv")
        subprocess.run([args.mdn, "predict", "--model", args.model, "--data", args.data, "--out", out,
                        "--params", "--device", "cpu"], check=True)
        with open(out, newline="") as f:
            ours = list(csv.DictReader(f))

    # Both sides in standardised target units (mdn's mixture is in original units).
    worst, where = 0.0, None
    for i, row in enumerate(ours):
        for k in range(K):
            pairs = [(float(row[f"alpha_{k + 1}"]), alpha[i, k].item())]
            for d, name in enumerate(targets):
                m, s = stats["t_mean"][d], stats["t_scale"][d]
                pairs.append(((float(row[f"mu_{k + 1}_{name}"]) - m) / s, mu[i, k, d].item()))
                pairs.append((float(row[f"sigma_{k + 1}_{name}"]) / s, sigma[i, k, d].item()))
            for j, (a, b) in enumerate(pairs):
                err = abs(a - b) / (args.atol + args.rtol * abs(b))
                if err > worst:
                    worst, where = err, (i, k, j, a, b)
    ok = worst <= 1.0
    print(f"interop: {len(ours)} rows, K = {K}, T = {T}: largest |ours - torch| / (atol + rtol |torch|) = "
          f"{worst:.3g} ({'ok' if ok else 'FAIL'}; atol {args.atol:g}, rtol {args.rtol:g}); "
          f"worst at (row, k, entry, ours, torch) = {where}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
