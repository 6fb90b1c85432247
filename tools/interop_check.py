#!/usr/bin/env python3
"""Model files interoperate: load an mdn model with the `safetensors` package
into the seed article's PyTorch MDN module and check its mixture against
`mdn predict --params` on the same rows.

  python3 tools/interop_check.py --mdn build/mdn --model m.safetensors --data d.csv

Exit status 0 when every alpha, mu and sigma agrees within 1e-4 relative
(float32 on both sides; PyTorch's GEMMs sum in another order), 1 otherwise,
77 when torch or safetensors is not installed (skip).
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
    x = torch.tensor([[float(r[c]) for c in features] for r in rows], dtype=torch.float32)
    x = (x - torch.tensor(stats["x_mean"])) / torch.tensor(stats["x_scale"])
    with torch.no_grad():
        alpha, sigma, mu = module(x)
    # mdn clamps log-sigma to [log_sigma_min, log_sigma_max]; then original units.
    sigma = sigma.clamp(math.exp(spec["log_sigma_min"]), math.exp(spec["log_sigma_max"]))
    t_mean, t_scale = torch.tensor(stats["t_mean"]), torch.tensor(stats["t_scale"])
    mu = mu * t_scale + t_mean
    sigma = sigma * t_scale

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "params.csv")
        subprocess.run([args.mdn, "predict", "--model", args.model, "--data", args.data, "--out", out,
                        "--params", "--device", "cpu"], check=True)
        with open(out, newline="") as f:
            ours = list(csv.DictReader(f))

    worst = 0.0
    for i, row in enumerate(ours):
        for k in range(K):
            pairs = [(float(row[f"alpha_{k + 1}"]), alpha[i, k].item())]
            for d, name in enumerate(targets):
                pairs.append((float(row[f"mu_{k + 1}_{name}"]), mu[i, k, d].item()))
                pairs.append((float(row[f"sigma_{k + 1}_{name}"]), sigma[i, k, d].item()))
            for a, b in pairs:
                worst = max(worst, abs(a - b) / (1e-6 + abs(b)))
    ok = worst <= args.rtol
    print(f"interop: {len(ours)} rows, K = {K}, T = {T}: largest relative difference {worst:.2e} "
          f"({'ok' if ok else 'FAIL'}, tolerance {args.rtol:g})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
