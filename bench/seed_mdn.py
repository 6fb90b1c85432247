"""The seed article's PyTorch MDN (shared/seed): the one reference peer.

Three users import it: bench/peer_pytorch.py (times it against mdn_bench),
tools/scripts/interop_check.py (a model file of `mdn train` loaded into it
gives `mdn predict --params`'s mixtures) and tests/python/test_torch_peer.py
(the same against MDNRegressor.predict_mixture). It lives beside the peer
script in bench/; the other two put bench/ on sys.path before importing it.

  mdn_loss, MDN, sample_mdn   the seed's code. MDN is generalised only in the
                              number of hidden layers: an int `hidden` is the
                              seed's two tanh layers of that width, a sequence
                              one tanh layer per width. Either way the
                              parameter names are mdn's model-file tensor
                              names (backbone.0.weight, ..., z_alpha.bias,
                              z_sigma.*, z_mu.*), so a file loads by name.
  from_model_file             the module, spec and standardisation statistics
                              of an mdn model file's tensors and metadata.
  standardised_mixture        a row batch's mixture as mdn computes it (inputs
                              standardised in double, then float32; sigma
                              clamped to the spec's bounds), in standardised
                              target units, where float32 rounding is ~1e-7
                              whatever the target's offset.

Needs torch (and numpy for array inputs); nothing else.
"""
import itertools
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---- the seed's code, unchanged apart from formatting and MDN's hidden layers ----
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
        widths = [hidden, hidden] if isinstance(hidden, int) else list(hidden)
        layers, width = [], in_dim
        for h in widths:
            layers += [nn.Linear(width, h), nn.Tanh()]
            width = h
        self.backbone = nn.Sequential(*layers)
        self.z_alpha = nn.Linear(width, K)
        self.z_sigma = nn.Linear(width, K * out_dim)
        self.z_mu = nn.Linear(width, K * out_dim)
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
# ------------------------------------------------------------------------------------


def from_model_file(tensors, metadata):
    """(module, spec, stats) of an mdn model file: `tensors` maps its tensor
    names to torch tensors, `metadata` is its string metadata (mdn.spec and
    mdn.standardizer are JSON). Every tensor must match a parameter of the
    module (load_state_dict strict)."""
    spec = json.loads(metadata["mdn.spec"])
    stats = json.loads(metadata["mdn.standardizer"])
    module = MDN(spec["input_dim"], spec["target_dim"], spec["hidden"], spec["components"])
    module.load_state_dict(tensors, strict=True)
    return module, spec, stats


def standardised_mixture(module, spec, stats, x):
    """alpha (n, K), mu (n, K, T), sigma (n, K, T) of the rows x (n, D, original
    units; array-like or tensor), as mdn computes them, with mu and sigma in
    standardised target units (mdn's mu - t_mean and sigma, divided by t_scale)."""
    x64 = torch.as_tensor(x, dtype=torch.float64)
    x32 = ((x64 - torch.tensor(stats["x_mean"], dtype=torch.float64)) /
           torch.tensor(stats["x_scale"], dtype=torch.float64)).float()
    with torch.no_grad():
        alpha, sigma, mu = module(x32)
    sigma = sigma.clamp(math.exp(spec["log_sigma_min"]), math.exp(spec["log_sigma_max"]))
    return alpha, mu, sigma
