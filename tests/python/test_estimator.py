"""MDNRegressor: shapes, units, agreement between its methods, files, pickling, sklearn tools."""

import pickle

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mdn
from conftest import bishop, two_targets


def mixture_mean_std(alpha, mu, sigma):
    """Moments of the mixture, centred and with normalised weights (never
    E[x^2] - m^2, which cancels every digit far from 0)."""
    a = alpha.astype(np.float64)[:, :, None]
    a = a / a.sum(axis=1, keepdims=True)
    mean = (a * mu).sum(axis=1)
    var = (a * (sigma.astype(np.float64) ** 2 + (mu - mean[:, None, :]) ** 2)).sum(axis=1)
    return mean, np.sqrt(var)


def test_parameters_are_stored_unchanged():
    hidden = [7, 3]
    est = mdn.MDNRegressor(components=4, hidden=hidden, epochs=9, random_state=5)
    assert est.hidden is hidden
    params = est.get_params()
    assert params["components"] == 4 and params["epochs"] == 9 and params["ensemble"] == 1
    assert params["device"] == "auto" and params["random_state"] == 5 and params["verbose"] is False
    assert clone(est).get_params()["hidden"] == [7, 3]
    est.set_params(components=2, lr=0.01)
    assert est.components == 2 and est.lr == 0.01


def test_fit_predict_shapes_one_target(fitted, bishop_data):
    X, y = bishop_data
    n, K = 50, 3
    assert fitted.n_features_in_ == 1 and fitted.n_targets_ == 1
    assert not hasattr(fitted, "feature_names_in_")
    assert fitted.predict(X[:n]).shape == (n,)
    assert fitted.predict(X[:n]).dtype == np.float64
    assert fitted.predict_std(X[:n]).shape == (n,)
    assert fitted.predict_quantiles(X[:n], [0.1, 0.5, 0.9]).shape == (n, 3)
    assert fitted.predict_quantiles(X[:n], 0.5).shape == (n,)
    modes, dens = fitted.predict_modes(X[:n])
    assert modes.shape == (n, K) and dens.shape == (n, K)
    assert fitted.predict_interval(X[:n], 0.8).shape == (n, K, 2)
    alpha, mu, sigma = fitted.predict_mixture(X[:n])
    assert alpha.shape == (n, K) and mu.shape == (n, K, 1) and sigma.shape == (n, K, 1)
    draws = fitted.sample(X[:n], 7, random_state=0)
    assert draws.shape == (n, 7, 1) and draws.dtype == np.float64
    assert np.isfinite(fitted.score(X, y)) and fitted.crps(X, y) > 0


def test_fit_predict_shapes_two_targets(fitted_2d):
    model, X, y = fitted_2d
    n, K, T = 40, 3, 2
    assert model.n_targets_ == T
    assert model.predict(X[:n]).shape == (n, T)
    assert model.predict_std(X[:n]).shape == (n, T)
    assert model.predict_quantiles(X[:n], [0.2, 0.8]).shape == (n, T, 2)
    modes, dens = model.predict_modes(X[:n])
    assert modes.shape == (n, K, T) and dens.shape == (n, K)
    assert model.predict_interval(X[:n], 0.5).shape == (n, T, K, 2)
    assert model.sample(X[:n], 3, random_state=1).shape == (n, 3, T)
    assert model.crps(X, y, multioutput="raw_values").shape == (T,)
    assert np.isclose(model.crps(X, y), model.crps(X, y, multioutput="raw_values").mean())


def test_too_many_targets_is_a_value_error():
    X, _ = two_targets(50)
    with pytest.raises(ValueError, match="1 to 8"):
        mdn.MDNRegressor(epochs=1).fit(X, np.zeros((50, 9)))


def test_statistics_agree_with_the_mixture(fitted, bishop_data):
    X, _ = bishop_data
    alpha, mu, sigma = fitted.predict_mixture(X[:500])
    assert np.allclose(alpha.sum(axis=1), 1.0, atol=1e-5)
    assert (sigma > 0).all()
    mean, std = mixture_mean_std(alpha, mu, sigma)
    np.testing.assert_allclose(fitted.predict(X[:500]), mean[:, 0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fitted.predict_std(X[:500]), std[:, 0], rtol=1e-4, atol=1e-6)
    # Quantiles solve the mixture CDF and never cross.
    levels = [0.05, 0.25, 0.5, 0.75, 0.95]
    q = fitted.predict_quantiles(X[:500], levels)
    assert (np.diff(q, axis=1) >= 0).all()
    cdf = (alpha[:, :, None] * norm.cdf((q[:, None, :] - mu) / sigma)).sum(axis=1)
    np.testing.assert_allclose(cdf, np.broadcast_to(levels, cdf.shape), atol=1e-5)


def test_score_is_the_mean_log_likelihood(fitted, bishop_data):
    X, y = bishop_data
    alpha, mu, sigma = (a.astype(np.float64) for a in fitted.predict_mixture(X))
    log_p = logsumexp(np.log(alpha) + norm.logpdf(y[:, None], mu[:, :, 0], sigma[:, :, 0]), axis=1)
    assert fitted.score(X, y) == pytest.approx(log_p.mean(), rel=1e-6)
    # Higher is better: the fitted model beats a bad one on the same rows.
    assert fitted.score(X, y) > fitted.score(X, y + 1.0)
    # The history is in the same units (mean NLL per row).
    assert fitted.history_["train_nll"][-1] == pytest.approx(-fitted.score(X, y), abs=0.15)


def test_history_and_fitted_attributes(fitted):
    h = fitted.history_
    assert len(h["train_nll"]) == fitted.n_iter_ == 40
    assert len(h["val_nll"]) == fitted.n_iter_
    assert 1 <= h["best_epoch"] <= fitted.n_iter_
    assert h["val_nll"][h["best_epoch"] - 1] == h["val_nll"].min()
    assert h["train_nll"][-1] < h["train_nll"][0]
    assert fitted.device_.startswith("cpu")


def test_multimodal_modes_and_interval(fitted):
    # At x = 0.5 the inverse problem has three branches.
    x = np.array([[0.5]])
    modes, dens = fitted.predict_modes(x)
    assert np.isfinite(modes).sum() >= 2
    assert (np.diff(dens[np.isfinite(dens)]) <= 0).all()  # highest density first
    alpha, mu, sigma = fitted.predict_mixture(x)
    for level in (0.5, 0.9):
        ends = fitted.predict_interval(x, level)[0]
        ends = ends[np.isfinite(ends[:, 0])]
        assert (ends[:, 1] > ends[:, 0]).all()
        cdf = lambda v: (alpha[0] * norm.cdf((v - mu[0, :, 0]) / sigma[0, :, 0])).sum()
        mass = sum(cdf(hi) - cdf(lo) for lo, hi in ends)
        assert mass == pytest.approx(level, abs=1e-6)


def test_sampling(fitted, bishop_data):
    X, _ = bishop_data
    x = X[:20]
    a = fitted.sample(x, 4000, random_state=3)
    b = fitted.sample(x, 4000, random_state=3)
    c = fitted.sample(x, 4000, random_state=4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # Draws depend on (seed, row index, draw index) only: a subset's first row is row 0 again.
    assert np.array_equal(fitted.sample(x[:1], 10, random_state=3)[0], a[0, :10])
    np.testing.assert_allclose(a[:, :, 0].mean(axis=1), fitted.predict(x), atol=0.02)
    np.testing.assert_allclose(a[:, :, 0].std(axis=1), fitted.predict_std(x), rtol=0.1)


def test_float32_float64_and_layouts_give_the_same_numbers():
    X64, y64 = bishop(600, seed=2)
    X32, y32 = X64.astype(np.float32), y64.astype(np.float32)
    X = np.hstack([X32, X32 ** 2]).astype(np.float32)
    kw = dict(components=2, hidden=(8,), epochs=5, device="cpu", random_state=0)
    ref = mdn.MDNRegressor(**kw).fit(X, y32)
    same_values_64 = mdn.MDNRegressor(**kw).fit(X.astype(np.float64), y32.astype(np.float64))
    fortran = mdn.MDNRegressor(**kw).fit(np.asfortranarray(X), y32)
    wide = np.zeros((600, 5), dtype=np.float32)
    wide[:, 1], wide[:, 3] = X[:, 0], X[:, 1]
    strided = mdn.MDNRegressor(**kw).fit(wide[:, 1::2], y32)
    p = ref.predict(X)
    for other in (same_values_64, fortran, strided):
        assert np.array_equal(other.predict(X), p)
    assert np.array_equal(ref.predict(X.astype(np.float64)), p)
    assert np.array_equal(ref.predict(np.asfortranarray(X)), p)
    assert np.array_equal(ref.predict(X[::-1])[::-1], p)
    ro = X.copy()
    ro.setflags(write=False)
    assert np.array_equal(ref.predict(ro), p)


def test_dataframe_feature_names_and_series_target():
    pd = pytest.importorskip("pandas")
    X, y = two_targets(300)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    est = mdn.MDNRegressor(components=2, hidden=(8,), epochs=2, device="cpu", random_state=0)
    est.fit(df, pd.Series(y[:, 0], name="target"))
    assert list(est.feature_names_in_) == ["a", "b", "c"]
    assert est.model_.feature_names == ["a", "b", "c"] and est.model_.target_names == ["target"]
    with pytest.warns(UserWarning, match="feature names"):
        assert np.array_equal(est.predict(df), est.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df[["c", "b", "a"]])


def test_random_state_repeats_the_model():
    X, y = bishop(500, seed=4)
    kw = dict(components=2, hidden=(8,), epochs=3, device="cpu")
    a = mdn.MDNRegressor(random_state=11, **kw).fit(X, y).predict(X)
    b = mdn.MDNRegressor(random_state=11, **kw).fit(X, y).predict(X)
    c = mdn.MDNRegressor(random_state=np.random.RandomState(0), **kw).fit(X, y).predict(X)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_save_load_and_pickle(tmp_path, fitted, bishop_data):
    X, y = bishop_data
    path = tmp_path / "m.safetensors"
    fitted.save(path)
    loaded = mdn.load(path, device="cpu")
    assert loaded.components == 3 and loaded.hidden == (20, 20)
    assert loaded.n_features_in_ == 1 and loaded.n_iter_ == fitted.n_iter_
    np.testing.assert_array_equal(loaded.history_["train_nll"], fitted.history_["train_nll"])
    for method in ("predict", "predict_std", "predict_mixture", "predict_modes"):
        ours, theirs = getattr(loaded, method)(X[:100]), getattr(fitted, method)(X[:100])
        for a, b in zip(*((ours, theirs) if isinstance(ours, tuple) else ((ours,), (theirs,)))):
            np.testing.assert_array_equal(a, b)
    assert loaded.score(X, y) == fitted.score(X, y)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(again.sample(X[:5], 3, random_state=1), fitted.sample(X[:5], 3, random_state=1))


def test_ensemble_is_the_equal_weight_mixture_of_its_members(tmp_path, bishop_data):
    X, y = bishop_data
    X, y = X[:400], y[:400]
    kw = dict(components=2, hidden=(8,), epochs=4, device="cpu", random_state=3)
    single = mdn.MDNRegressor(**kw).fit(X, y)
    ens = mdn.MDNRegressor(ensemble=3, calibrate=False, **kw).fit(X, y)  # the mixture itself, no PIT map
    alpha, mu, sigma = ens.predict_mixture(X[:20])
    assert alpha.shape == (20, 6) and mu.shape == (20, 6, 1) and sigma.shape == (20, 6, 1)
    np.testing.assert_allclose(alpha.sum(axis=1), 1.0, rtol=1e-5)
    # Member 0 is the single model (same seed), at weight alpha / 3.
    a1, mu1, sigma1 = single.predict_mixture(X[:20])
    np.testing.assert_allclose(3 * alpha[:, :2], a1, rtol=1e-5)
    np.testing.assert_allclose(mu[:, :2], mu1, rtol=1e-6)
    np.testing.assert_allclose(sigma[:, :2], sigma1, rtol=1e-6)
    # The other members differ, and the mean is the mixture's.
    assert not np.allclose(mu[:, 2:4], mu1)
    mean, _ = mixture_mean_std(alpha, mu, sigma)
    np.testing.assert_allclose(ens.predict(X[:20]), mean[:, 0], rtol=1e-4, atol=1e-6)
    assert ens.predict_modes(X[:20])[0].shape == (20, 6)
    # Files and pickles keep every member.
    path = tmp_path / "ens.safetensors"
    ens.save(path)
    loaded = mdn.load(path, device="cpu")
    assert loaded.ensemble == 3 and loaded.model_.members == 3
    again = pickle.loads(pickle.dumps(ens))
    for other in (loaded, again):
        np.testing.assert_array_equal(other.predict_mixture(X[:20])[0], alpha)
        assert other.score(X, y) == ens.score(X, y)


def test_older_pickled_states_still_load(fitted, bishop_data):
    X, _ = bishop_data
    state = fitted.model_.__getstate__()
    assert state[0] == 8 and len(state) == 18 and state[14] == ""  # numeric features: no encoding
    assert state[15][0] == []  # not recalibrated: no PIT maps
    assert state[16][0] == []  # no target transform
    assert state[17] == "diagonal"
    Model = type(fitted.model_)

    def model_of(s):
        m = Model.__new__(Model)
        m.__setstate__(s)
        est = pickle.loads(pickle.dumps(fitted))
        est.model_ = m
        return est

    # Versions 1 and 2 held the standardisation statistics as float32; they
    # load as those floats, i.e. as version 3 with the statistics rounded.
    as_floats = tuple(np.frombuffer(b, np.float64).astype(np.float32).tobytes() for b in state[2])
    rounded = tuple(np.frombuffer(b, np.float32).astype(np.float64).tobytes() for b in as_floats)
    want = model_of((3, state[1], rounded) + tuple(state[3:13])).predict_mixture(X[:20])[1]
    v7 = (7,) + tuple(state[1:17])  # 17 fields: no covariance (diagonal)
    assert model_of(v7).model_.covariance == "diagonal"
    np.testing.assert_array_equal(model_of(v7).predict_mixture(X[:20])[1], fitted.predict_mixture(X[:20])[1])
    v6 = (6,) + tuple(state[1:16])  # 16 fields: no target transform
    np.testing.assert_array_equal(model_of(v6).predict_mixture(X[:20])[1], fitted.predict_mixture(X[:20])[1])
    v5 = (5,) + tuple(state[1:15])  # 15 fields: no recalibration
    np.testing.assert_array_equal(model_of(v5).predict_mixture(X[:20])[1], fitted.predict_mixture(X[:20])[1])
    v4 = (4,) + tuple(state[1:14])  # 14 fields: no feature encoding
    np.testing.assert_array_equal(model_of(v4).predict_mixture(X[:20])[1], fitted.predict_mixture(X[:20])[1])
    v3 = (3,) + tuple(state[1:13])  # 13 fields: no conformal scores or training warnings
    np.testing.assert_array_equal(model_of(v3).predict_mixture(X[:20])[1], fitted.predict_mixture(X[:20])[1])
    assert model_of(v3).model_.conformal_rows == 0
    v2 = (2, state[1], as_floats) + tuple(state[3:13])
    v1 = (1, state[1], as_floats) + tuple(state[3:10])  # 10 fields: no ensemble, calibration or grid
    for old in (v1, v2):
        np.testing.assert_array_equal(model_of(old).predict_mixture(X[:20])[1], want)
    with pytest.raises(ValueError, match="invalid model state"):
        Model.__new__(Model).__setstate__((1,) + tuple(v2[1:]))  # version 1 with version 2's fields
    with pytest.raises(ValueError, match="invalid model state: covariance"):
        Model.__new__(Model).__setstate__(tuple(state[:17]) + ("bogus",))


def test_file_errors(tmp_path, fitted):
    missing = tmp_path / "none.safetensors"
    with pytest.raises(FileNotFoundError, match="none.safetensors"):
        mdn.load(missing)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(OSError, match="bad.safetensors"):
        mdn.load(bad)
    with pytest.raises(OSError):
        fitted.save(tmp_path / "no" / "such" / "dir" / "m.safetensors")


def test_not_fitted_errors(bishop_data):
    X, y = bishop_data
    est = mdn.MDNRegressor()
    for call in (
        lambda: est.predict(X), lambda: est.predict_std(X), lambda: est.predict_quantiles(X, 0.5),
        lambda: est.predict_modes(X), lambda: est.predict_interval(X), lambda: est.predict_mixture(X),
        lambda: est.sample(X), lambda: est.score(X, y), lambda: est.crps(X, y), lambda: est.save("x.safetensors"),
    ):
        with pytest.raises(NotFittedError):
            call()


def test_bad_parameters_are_value_errors(bishop_data):
    X, y = bishop_data
    X, y = X[:100], y[:100]
    cases = [
        (dict(ensemble=0), "ensemble= .*ensemble size"),
        (dict(ensemble=2.5), "ensemble must be an integer"),
        (dict(components=0), "components"),
        (dict(components=33), "components"),
        (dict(components=2.5), "components must be an integer"),
        (dict(hidden=(0,)), "hidden"),
        (dict(hidden=()), "hidden"),
        (dict(hidden="wide"), "hidden"),
        (dict(epochs=-1), "epochs"),
        (dict(batch_size=-1), "batch_size= must be"),
        (dict(lr=-1.0), "lr= .*learning rate"),
        (dict(val_fraction=1.0), "val_fraction= must be"),
        (dict(patience=-2), "patience"),
        (dict(clip_norm=-1.0), "clip_norm= must be"),
        (dict(device="tpu"), "tpu"),
        (dict(device=3), "device"),
        (dict(random_state=-1), "random_state"),
    ]
    for params, message in cases:
        est = mdn.MDNRegressor(**{"epochs": 1, "device": "cpu", **params})
        with pytest.raises(ValueError, match=message):
            est.fit(X, y)
        assert not hasattr(est, "model_")


def test_bad_prediction_arguments(fitted, bishop_data):
    X, y = bishop_data
    with pytest.raises(ValueError, match="quantile|level|0, 1"):
        fitted.predict_quantiles(X, [0.5, 1.5])
    with pytest.raises(ValueError):
        fitted.predict_interval(X, 1.0)
    with pytest.raises(ValueError, match="n_samples"):
        fitted.sample(X, 0)
    with pytest.raises(ValueError, match="2 features|expecting 1"):
        fitted.predict(np.zeros((3, 2)))
    with pytest.raises(ValueError):
        fitted.score(X, y[:-1])
    with pytest.raises(ValueError, match="multioutput"):
        fitted.crps(X, y, multioutput="bad")


def test_cuda_device_without_a_gpu_is_a_runtime_error(bishop_data):
    if mdn.cuda_available():
        pytest.skip("a GPU is usable here")
    X, y = bishop_data
    est = mdn.MDNRegressor(epochs=1, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        est.fit(X[:100], y[:100])
    assert not hasattr(est, "model_")


def test_failed_refit_keeps_the_previous_model(bishop_data):
    X, y = bishop_data
    est = mdn.MDNRegressor(components=2, hidden=(8,), epochs=2, device="cpu", random_state=0).fit(X, y)
    before = est.predict(X[:10])
    bad = np.hstack([X, X])
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(bad, y)
    assert est.n_features_in_ == 1
    np.testing.assert_array_equal(est.predict(X[:10]), before)


def test_pipeline_and_cross_val_score():
    X, y = two_targets(600, seed=3)
    pipe = make_pipeline(
        StandardScaler(), mdn.MDNRegressor(components=2, hidden=(16,), epochs=8, device="cpu", random_state=0)
    )
    scores = cross_val_score(pipe, X, y[:, 0], cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()
    pipe.fit(X, y[:, 0])
    assert pipe.predict(X[:5]).shape == (5,)
    assert pipe.score(X, y[:, 0]) == pytest.approx(pipe[-1].score(pipe[0].transform(X), y[:, 0]))


@pytest.mark.parametrize("offset", [0.0, 1e4, 1e6, 1e9])
def test_large_target_offsets_and_timestamp_features(offset):
    # y = offset + sin(6 u) + 0.05 N(0, 1), the feature a Unix timestamp
    # 1.7e9 + 100 u: the std is the noise at every offset, equal to the
    # std of the returned mixture (computed here in float64, centred), and
    # the timestamp keeps its information.
    rng = np.random.default_rng(4)
    u = rng.uniform(0, 1, 1500)
    X = (1.7e9 + 100 * u).reshape(-1, 1)
    truth = offset + np.sin(6 * u)
    y = truth + 0.05 * rng.standard_normal(u.size)
    est = mdn.MDNRegressor(device="cpu", random_state=0).fit(X, y)
    std = est.predict_std(X)
    mean, want = mixture_mean_std(*est.predict_mixture(X))
    np.testing.assert_allclose(std, want[:, 0], rtol=1e-3)
    np.testing.assert_allclose(est.predict(X), mean[:, 0], rtol=0, atol=1e-3 * want.min())
    assert 0.035 < std.mean() < 0.07
    assert np.sqrt(np.mean((est.predict(X) - truth) ** 2)) < 0.025
    q = est.predict_quantiles(X, [0.05, 0.95])
    np.testing.assert_allclose((q[:, 1] - q[:, 0]).mean() / 3.29, 0.05, rtol=0.3)
    assert est.score(X, y) > 1.0  # log N(0 | 0, 0.05^2) = 1.38 nats
    assert est.crps(X, y) < 0.05
    draws = est.sample(X[:200], 50, random_state=1)
    assert draws.dtype == np.float64
    assert 0.035 < np.std(draws[:, :, 0] - truth[:200, None]) < 0.08
