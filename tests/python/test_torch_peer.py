"""predict_mixture agrees with the seed's PyTorch module loaded from the saved file.

The seed article's module is bench/seed_mdn.py (shared with the peer
benchmark and tools/scripts/interop_check.py); the file's tensors load into it
by name, and its inputs are standardised with the statistics in the file's
metadata. Skipped when torch is not installed: it is not in
requirements.txt (several GB), so CI's run of test-python.sh skips it. Run it
where torch is (docs/TESTING.md, "The PyTorch peer test"):

    build-python-venv/bin/pip install torch
    build-python-venv/bin/python -m pytest tests/python/test_torch_peer.py
"""

import json
import struct
import sys

import numpy as np
import pytest

import mdn
from conftest import REPO, two_targets

torch = pytest.importorskip("torch")
sys.path.insert(0, str(REPO / "bench"))
import seed_mdn  # noqa: E402


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

    module, spec, stats = seed_mdn.from_model_file(*read_safetensors(path))
    alpha, mu, sigma = seed_mdn.standardised_mixture(module, spec, stats, np.asarray(X, dtype=np.float64))
    t_mean, t_scale = np.asarray(stats["t_mean"]), np.asarray(stats["t_scale"])

    ours_alpha, ours_mu, ours_sigma = est.predict_mixture(X)
    # In standardised units, where float32 rounding is ~1e-7 whatever the target's offset.
    np.testing.assert_allclose(ours_alpha, alpha.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose((ours_mu - t_mean) / t_scale, mu.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours_sigma / t_scale, sigma.numpy(), rtol=1e-4, atol=1e-5)
