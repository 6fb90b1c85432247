import os
import pathlib

import numpy as np
import pytest

import mdn

REPO = pathlib.Path(__file__).resolve().parents[2]


def bishop(n, seed=0, dtype=np.float64):
    """Bishop's inverse problem: x = t + 0.3 sin(2 pi t) + noise; p(t | x) has up to three modes."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.0, 1.0, n)
    x = t + 0.3 * np.sin(2 * np.pi * t) + rng.uniform(-0.1, 0.1, n)
    return x.reshape(-1, 1).astype(dtype), t.astype(dtype)


def two_targets(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = np.column_stack([X[:, 0] + 0.1 * rng.normal(size=n), X[:, 1] * X[:, 2] + 0.2 * rng.normal(size=n)])
    return X, y


@pytest.fixture(scope="session")
def bishop_data():
    return bishop(3000)


@pytest.fixture(scope="session")
def fitted(bishop_data):
    X, y = bishop_data
    return mdn.MDNRegressor(components=3, hidden=(20, 20), epochs=40, device="cpu", random_state=0).fit(X, y)


@pytest.fixture(scope="session")
def fitted_2d():
    X, y = two_targets(1500)
    model = mdn.MDNRegressor(components=3, hidden=(16,), epochs=10, device="cpu", random_state=1).fit(X, y)
    return model, X, y


@pytest.fixture(scope="session")
def mdn_exe():
    exe = pathlib.Path(os.environ.get("MDN_EXE", REPO / "build" / "mdn"))
    if not exe.is_file():
        pytest.skip(f"the mdn program is not built at {exe} (set MDN_EXE)")
    return exe
