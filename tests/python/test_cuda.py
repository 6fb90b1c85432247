"""device="cuda": the same model on the GPU gives the CPU's numbers (within float
rounding). Skipped where no GPU is usable (CI) or the package was built without
the CUDA backend."""

import pickle

import numpy as np
import pytest

import mdn
from conftest import bishop

pytestmark = pytest.mark.skipif(not mdn.cuda_available(), reason="no usable CUDA GPU in this build/machine")


def test_fit_and_predict_on_the_gpu_agree_with_the_cpu():
    X, y = bishop(5000, seed=3)
    gpu = mdn.MDNRegressor(components=3, hidden=(32, 32), epochs=20, device="cuda", random_state=0).fit(X, y)
    assert gpu.device_.startswith("cuda")
    assert gpu.history_["train_nll"][-1] < gpu.history_["train_nll"][0]
    # The same weights, run on the CPU.
    on_cpu = pickle.loads(pickle.dumps(gpu)).set_params(device="cpu")
    for method in ("predict", "predict_std"):
        np.testing.assert_allclose(getattr(gpu, method)(X), getattr(on_cpu, method)(X), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gpu.predict_quantiles(X, [0.1, 0.9]), on_cpu.predict_quantiles(X, [0.1, 0.9]),
                               rtol=1e-4, atol=1e-4)
    for a, b in zip(gpu.predict_mixture(X), on_cpu.predict_mixture(X)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert gpu.score(X, y) == pytest.approx(on_cpu.score(X, y), rel=1e-4)
    draws = gpu.sample(X[:100], 2000, random_state=1)
    assert draws.shape == (100, 2000, 1)
    np.testing.assert_allclose(draws[:, :, 0].mean(axis=1), on_cpu.predict(X[:100]), atol=0.03)


def test_sample_weights_and_eval_set_on_the_gpu():
    """The fused CUDA head kernel's weights: two groups, one weighted 3, get
    about 3/4 of the predicted mass (as on the CPU, test_fit_options.py), and
    the best validation NLL is the model's own on the eval set."""
    import warnings

    from test_fit_options import group_mass, two_groups

    X, y, group = two_groups(300)
    w = np.where(group == 1, 3, 1)
    Xv, yv, _ = two_groups(100, seed=1)
    params = dict(components=3, hidden=(8,), epochs=30, device="cuda", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mdn.TrainingWarning)
        weighted = mdn.MDNRegressor(**params).fit(X, y, sample_weight=w, eval_set=(Xv, yv))
        plain = mdn.MDNRegressor(**params).fit(X, y)
    assert weighted.device_.startswith("cuda")
    grid = np.linspace(-1, 1, 21).reshape(-1, 1)
    assert group_mass(weighted, grid) == pytest.approx(0.75, abs=0.05)
    assert group_mass(plain, grid) == pytest.approx(0.5, abs=0.05)
    best = weighted.history_["val_nll"][weighted.history_["best_epoch"] - 1]
    assert best == pytest.approx(-weighted.score(Xv, yv), abs=1e-3)
