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
import math
import os
import subprocess
import sys
import tempfile

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from safetensors import safe_open
    from safetensors.torch import load_file
except ImportError as e:  # pragma: no cover
    print(f"interop_check: {e}; skipping", file=sys.stderr)
    sys.exit(77)


class MDN(nn.Module):
    """The seed's module, generalised only in the number of hidden layers."""

    def __init__(self, in_dim, out_dim, hidden, K):
        super().__init__()
        layers, width = [], in_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.Tanh()]
            width = h
        self.backbone = nn.Sequential(*layers)
        self.z_alpha = nn.Linear(width, K)
        self.z_sigma = nn.Linear(width, K * out_dim)
        self.z_mu = nn.Linear(width, K * out_dim)
        self.K, self.out_dim = K, out_dim

    def forward(self, x):
        h = self.backbone(x)
        alpha = F.softmax(self.z_alpha(h), dim=-1)
        sigma = torch.exp(self.z_sigma(h)).view(-1, self.K, self.out_dim)
        mu = self.z_mu(h).view(-1, self.K, self.out_dim)
        return alpha, sigma, mu


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
    spec = json.loads(meta["mdn.spec"])
    stats = json.loads(meta["mdn.standardizer"])
    features, targets = json.loads(meta["mdn.features"]), json.loads(meta["mdn.targets"])
    D, T, K = spec["input_dim"], spec["target_dim"], spec["components"]

    module = MDN(D, T, spec["hidden"], K)
    module.load_state_dict(load_file(args.model), strict=True)

    with open(args.data, newline="") as f:
        rows = list(csv.DictReader(f))
    # Standardised in double, then float32 (as mdn does: a timestamp column
    # rounded to float32 first keeps a handful of values).
    x = torch.tensor([[float(r[c]) for c in features] for r in rows], dtype=torch.float64)
    x = ((x - torch.tensor(stats["x_mean"], dtype=torch.float64)) /
         torch.tensor(stats["x_scale"], dtype=torch.float64)).float()
    with torch.no_grad():
        alpha, sigma, mu = module(x)
    # mdn clamps log-sigma to [log_sigma_min, log_sigma_max]; then original units.
    sigma = sigma.clamp(math.exp(spec["log_sigma_min"]), math.exp(spec["log_sigma_max"]))
    t_mean = torch.tensor(stats["t_mean"], dtype=torch.float64)
    t_scale = torch.tensor(stats["t_scale"], dtype=torch.float64)
    mu = mu.double() * t_scale + t_mean
    sigma = sigma.double() * t_scale

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "params.csv")
        subprocess.run([args.mdn, "predict", "--model", args.model, "--data", args.data, "--out", out,
                        "--params", "--device", "cpu"], check=True)
        with open(out, newline="") as f:
            ours = list(csv.DictReader(f))

    worst, where = 0.0, None
    for i, row in enumerate(ours):
        for k in range(K):
            pairs = [(float(row[f"alpha_{k + 1}"]), alpha[i, k].item())]
            for d, name in enumerate(targets):
                m, s = stats["t_mean"][d], stats["t_scale"][d]
                pairs.append(((float(row[f"mu_{k + 1}_{name}"]) - m) / s, (mu[i, k, d].item() - m) / s))
                pairs.append((float(row[f"sigma_{k + 1}_{name}"]) / s, sigma[i, k, d].item() / s))
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
