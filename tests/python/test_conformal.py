"""Conformal intervals from Python: predict_interval(method="conformal"),
calibrate_intervals(X, y), and the scores surviving pickle, save/load and the CLI."""

import pickle
import subprocess

import numpy as np
import pytest

import mdn


def hetero(n, seed, shift=0.0):
    """y = x + (0.2 + 0.3 |x|) noise: the noise grows with |x|."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    y = x + (0.2 + 0.3 * np.abs(x)) * rng.normal(size=n) + shift
    return x.reshape(-1, 1), y


def covered(intervals, y):
    lo, hi = intervals[:, 0, 0], intervals[:, 0, 1]
    return float(np.mean((lo <= y) & (y <= hi)))


@pytest.fixture(scope="module")
def model():
    X, y = hetero(3000, 1)
    return mdn.MDNRegressor(epochs=20, val_fraction=0.5, device="cpu", random_state=0).fit(X, y)


def test_fit_keeps_scores_from_its_validation_rows_and_they_cover(model):
    X, y = hetero(2000, 3)
    c = covered(model.predict_interval(X, 0.9, method="conformal"), y)
    # 1,500 calibration rows and 2,000 test rows: about 0.011 of spread, 3 sigma 0.03.
    assert 0.87 < c < 0.93
    assert model.predict_interval(X, 0.9, method="conformal").shape == (2000, 1, 2)


def test_calibrate_refits_and_the_coverage_follows(model):
    X_cal, y_cal = hetero(1000, 2)
    X, y = hetero(2000, 3)
    est = pickle.loads(pickle.dumps(model)).calibrate_intervals(X_cal, y_cal)
    c = covered(est.predict_interval(X, 0.8, method="conformal"), y)
    assert 0.77 < c < 0.83
    # Rows far from the training distribution: the whole line, honestly.
    X_far, y_far = hetero(500, 4, shift=50.0)
    ends = est.calibrate_intervals(X_far, y_far).predict_interval(X[:5], 0.9, method="conformal")
    assert np.all(np.isneginf(ends[:, 0, 0])) and np.all(np.isposinf(ends[:, 0, 1]))


def test_scores_survive_pickle_and_files(model, tmp_path):
    X, _ = hetero(50, 5)
    want = model.predict_interval(X, 0.9, method="conformal")
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict_interval(X, 0.9, method="conformal"), want)
    path = tmp_path / "m.safetensors"
    model.save(path)
    # The file keeps the scores as floats: the same intervals up to that rounding.
    np.testing.assert_allclose(mdn.load(path, device="cpu").predict_interval(X, 0.9, method="conformal"), want,
                               rtol=1e-5, atol=1e-5)


def test_central_is_the_models_own_quantiles_and_no_scores_is_a_clear_error():
    X, y = hetero(500, 6)
    est = mdn.MDNRegressor(epochs=3, val_fraction=0.0, cross_fit=False, device="cpu", random_state=0).fit(X, y)
    central = est.predict_interval(X[:20], 0.9, method="central")
    q = est.predict_quantiles(X[:20], (0.05, 0.95))
    np.testing.assert_allclose(central[:, 0, :], q, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="no conformal scores"):
        est.predict_interval(X, 0.9, method="conformal")
    with pytest.raises(ValueError, match="method"):
        est.predict_interval(X, 0.9, method="widest")
    with pytest.raises(ValueError, match="at least 19"):
        est.calibrate_intervals(X[:5], y[:5])


def test_the_cli_writes_the_same_conformal_intervals(model, tmp_path, mdn_exe):
    X, y = hetero(40, 7)
    path = tmp_path / "m.safetensors"
    model.save(path)
    data = tmp_path / "d.csv"
    np.savetxt(data, np.column_stack([X[:, 0], y]), delimiter=",", header="x0,y", comments="", fmt="%.17g")
    out = tmp_path / "p.csv"
    subprocess.run([mdn_exe, "predict", "--model", str(path), "--data", str(data), "--interval", "0.9", "--out",
                    str(out), "--device", "cpu", "--quiet"], check=True)
    table = np.genfromtxt(out, delimiter=",", names=True)
    ends = mdn.load(path, device="cpu").predict_interval(X, 0.9, method="conformal")
    np.testing.assert_allclose(table["y_lo"], ends[:, 0, 0], rtol=1e-9)
    np.testing.assert_allclose(table["y_hi"], ends[:, 0, 1], rtol=1e-9)
