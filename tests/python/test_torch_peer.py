"""predict_mixture agrees with the seed's PyTorch module loaded from the saved file.

The seed article's module (backbone of Linear + Tanh, heads z_alpha, z_sigma,
z_mu) is rebuilt here with torch and given the file's tensors by name; inputs
are standardised with the statistics in the file's metadata. Skipped when
torch is not installed (it is not a test requirement: it is large).
"""

import json
import math
import struct

import numpy as np
import pytest

import mdn
from conftest import two_targets

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional


class SeedMDN(nn.Module):
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


def read_safetensors(path):
    """Tensors (float32) and metadata of a .safetensors file, with the standard layout."""
    raw = open(path, "rb").read()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    meta = header.pop("__metadata__", {})
    body = raw[8 + size :]
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", info
        begin, end = info["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(body[begin:end], dtype="<f4").reshape(info["shape"]).copy())
    return tensors, meta


@pytest.mark.parametrize("targets", [1, 2])
def test_predict_mixture_matches_the_seed_module(tmp_path, targets):
    X, y = two_targets(800, seed=8)
    y = y[:, 0] if targets == 1 else y
    est = mdn.MDNRegressor(components=4, hidden=(24, 24), epochs=10, device="cpu", random_state=0).fit(X, y)
    path = tmp_path / "m.safetensors"
    est.save(path)

    tensors, meta = read_safetensors(path)
    spec, stats = json.loads(meta["mdn.spec"]), json.loads(meta["mdn.standardizer"])
    D, T, K = spec["input_dim"], spec["target_dim"], spec["components"]
    module = SeedMDN(D, T, spec["hidden"], K)
    module.load_state_dict(tensors, strict=True)
    # Standardised in double, then float32, as mdn does.
    x64 = torch.tensor(np.asarray(X, dtype=np.float64))
    x = ((x64 - torch.tensor(stats["x_mean"], dtype=torch.float64)) /
         torch.tensor(stats["x_scale"], dtype=torch.float64)).float()
    with torch.no_grad():
        alpha, sigma, mu = module(x)
    sigma = sigma.clamp(math.exp(spec["log_sigma_min"]), math.exp(spec["log_sigma_max"]))
    t_mean, t_scale = np.asarray(stats["t_mean"]), np.asarray(stats["t_scale"])

    ours_alpha, ours_mu, ours_sigma = est.predict_mixture(X)
    # In standardised units, where float32 rounding is ~1e-7 whatever the target's offset.
    np.testing.assert_allclose(ours_alpha, alpha.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose((ours_mu - t_mean) / t_scale, mu.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours_sigma / t_scale, sigma.numpy(), rtol=1e-4, atol=1e-5)
