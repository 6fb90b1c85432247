"""MDNRegressor(covariance="full"): correlated targets (issue 30).

Every number is checked against a reference written here in numpy/scipy
from the factors predict_mixture returns (the joint density, the marginal
quantiles by root finding, the mixture's moments, the partitioned-Gaussian
conditional), and against the `mdn` program's own output for a model it
trained (MDN_EXE; skipped without it)."""

import json
import pickle
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import logsumexp
from scipy.stats import norm

import mdn
from test_cli_interop import CPU, read_csv, run, write_csv


def correlated(n, seed=0):
    """y2 = y1 + small noise: two targets with correlation about 0.99 given x,
    which diagonal components cannot express within a component."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y1 = np.sin(2.0 * X[:, 0]) + 0.5 * X[:, 1] + 0.3 * rng.normal(size=n)
    y2 = y1 + 0.05 * rng.normal(size=n)
    return X, np.column_stack([y1, y2])


KW = dict(components=2, hidden=(16,), epochs=30, device="cpu", random_state=0)


@pytest.fixture(scope="module")
def data():
    return correlated(2500, seed=1), correlated(1000, seed=2)


@pytest.fixture(scope="module")
def full(data):
    (X, y), _ = data
    return mdn.MDNRegressor(covariance="full", **KW).fit(X, y)


def reference_logpdf(alpha, mu, tril, y):
    """log sum_k alpha_k N(y | mu_k, A_k A_k^T), per row, written out with numpy."""
    n, K, T = mu.shape
    a = alpha / alpha.sum(axis=1, keepdims=True)
    out = np.empty(n)
    for r in range(n):
        terms = []
        for k in range(K):
            A = tril[r, k]
            w = np.linalg.solve(A, y[r] - mu[r, k])  # A w = y - mu: w ~ N(0, I)
            logdet = np.sum(np.log(np.diag(A)))
            terms.append(np.log(a[r, k]) - 0.5 * w @ w - logdet - 0.5 * T * np.log(2 * np.pi))
        out[r] = logsumexp(terms)
    return out


def mixture_moments(alpha, mu, tril):
    """Mean (n, T) and covariance (n, T, T) of each row's mixture."""
    a = (alpha / alpha.sum(axis=1, keepdims=True))[:, :, None]
    mean = (a * mu).sum(axis=1)
    d = mu - mean[:, None, :]
    cov = np.einsum("nk,nkij->nij", a[:, :, 0], tril @ np.swapaxes(tril, 2, 3) + d[:, :, :, None] * d[:, :, None, :])
    return mean, cov


def test_mixture_has_the_factors(full, data):
    (X, _), _ = data
    out = full.predict_mixture(X[:50])
    assert len(out) == 4
    alpha, mu, sigma, tril = out
    assert alpha.shape == (50, 2) and mu.shape == (50, 2, 2) and sigma.shape == (50, 2, 2)
    assert tril.shape == (50, 2, 2, 2) and tril.dtype == np.float64
    assert np.all(np.triu(tril, 1) == 0.0) and np.all(np.diagonal(tril, axis1=2, axis2=3) > 0)
    # sigma is each target's marginal standard deviation: the norm of the factor's row.
    np.testing.assert_allclose(sigma, np.sqrt((tril**2).sum(axis=3)), rtol=1e-12)
    # The model learned the correlation (about 0.99): within each row's
    # heaviest component (a component of little weight need not have).
    cov = tril @ np.swapaxes(tril, 2, 3)
    corr = cov[..., 0, 1] / np.sqrt(cov[..., 0, 0] * cov[..., 1, 1])
    heaviest = corr[np.arange(50), alpha.argmax(axis=1)]
    assert np.all(heaviest > 0.9), heaviest.min()
    assert full.covariance == "full" and full.model_.covariance == "full"


def test_score_is_the_joint_log_density_of_the_factors(full, data):
    _, (Xt, yt) = data
    alpha, mu, _, tril = full.predict_mixture(Xt[:200])
    want = reference_logpdf(alpha, mu, tril, yt[:200])
    np.testing.assert_allclose(full.score_samples(Xt[:200], yt[:200]), want, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(full.predict_dist(Xt[:200]).logpdf(yt[:200]), want, rtol=1e-9, atol=1e-9)
    assert full.score(Xt[:200], yt[:200]) == pytest.approx(want.mean(), rel=1e-9)


def test_draws_have_the_mixture_mean_and_covariance(full, data):
    _, (Xt, _) = data
    S = 40000
    draws = full.sample(Xt[:4], S, random_state=3)
    assert draws.shape == (4, S, 2)
    alpha, mu, _, tril = full.predict_mixture(Xt[:4])
    mean, cov = mixture_moments(alpha, mu, tril)
    for r in range(4):
        x = draws[r]
        m = x.mean(axis=0)
        se = x.std(axis=0) / np.sqrt(S)
        assert np.all(np.abs(m - mean[r]) < 5 * se), (r, m, mean[r], se)
        c = x - m
        for i in range(2):
            for j in range(i + 1):
                prod = c[:, i] * c[:, j]
                se_ij = prod.std() / np.sqrt(S)
                assert abs(prod.mean() - cov[r, i, j]) < 5 * se_ij, (r, i, j, prod.mean(), cov[r, i, j])
    # Joint draws: the two targets move together (independent draws would not).
    assert np.corrcoef(draws[0].T)[0, 1] > 0.9
    # The distribution object draws the same on the CPU.
    np.testing.assert_array_equal(full.predict_dist(Xt[:4]).sample(S, 3), draws)


def marginal_cdf(alpha, mu, sd, y):
    a = alpha / alpha.sum()
    return float(np.sum(a * norm.cdf((y - mu) / sd)))


def test_per_target_outputs_are_the_exact_marginals(full, data):
    _, (Xt, _) = data
    X = Xt[:10]
    alpha, mu, _, tril = full.predict_mixture(X)
    sd = np.sqrt((tril**2).sum(axis=3))  # target d's marginal: sigma_d = |row d of A|
    levels = [0.05, 0.3, 0.5, 0.9]
    q = full.predict_quantiles(X, levels)
    mean, cov = mixture_moments(alpha, mu, tril)
    np.testing.assert_allclose(full.predict(X), mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(full.predict_std(X), np.sqrt(np.diagonal(cov, axis1=1, axis2=2)), rtol=1e-9)
    for r in range(len(X)):
        for d in range(2):
            lo, hi = mu[r, :, d].min() - 10 * sd[r, :, d].max(), mu[r, :, d].max() + 10 * sd[r, :, d].max()
            for j, p in enumerate(levels):
                want = brentq(lambda y: marginal_cdf(alpha[r], mu[r, :, d], sd[r, :, d], y) - p, lo, hi, xtol=1e-13)
                assert q[r, d, j] == pytest.approx(want, abs=1e-8), (r, d, p)
    central = full.predict_interval(X, 0.9, method="central")
    np.testing.assert_allclose(central[:, :, 0, 0], full.predict_quantiles(X, 0.05), rtol=1e-12, atol=1e-14)
    cdf = full.cdf(X, q[:, :, 2])
    np.testing.assert_allclose(cdf, 0.5, atol=1e-9)
    assert full.predict_interval(X, 0.8).shape == (10, 2, 2, 2)  # HDR of each marginal
    assert full.crps(X, full.predict(X)) > 0


def test_full_beats_diagonal_on_held_out_rows(full, data):
    (X, y), (Xt, yt) = data
    diagonal = mdn.MDNRegressor(**KW).fit(X, y)
    assert diagonal.covariance == "diagonal" and len(diagonal.predict_mixture(Xt[:3])) == 3
    gain = full.score(Xt, yt) - diagonal.score(Xt, yt)
    # Given y1, y2 has spread 0.05 (log 0.3/0.05 = 1.8 nats below what a
    # diagonal component can do with spread about 0.3).
    assert gain > 0.8, (full.score(Xt, yt), diagonal.score(Xt, yt))


def test_conditional_is_the_partitioned_gaussian(full, data):
    _, (Xt, yt) = data
    X, v = Xt[:20], yt[:20, 0]
    alpha, mu, _, tril = full.predict_mixture(X)
    cond = full.predict_conditional(X, {"y0": v})
    assert cond.n_targets == 1 and cond.scale_tril is None
    # Reference: w_k ~ alpha_k N(v | mu_k0, S_00); mean mu_k1 + S_10/S_00 (v - mu_k0); var S_11 - S_10^2/S_00.
    S = tril @ np.swapaxes(tril, 2, 3)
    logw = np.log(alpha) + norm.logpdf(v[:, None], mu[:, :, 0], np.sqrt(S[..., 0, 0]))
    w = np.exp(logw - logsumexp(logw, axis=1, keepdims=True))
    m = mu[:, :, 1] + S[..., 1, 0] / S[..., 0, 0] * (v[:, None] - mu[:, :, 0])
    s = np.sqrt(S[..., 1, 1] - S[..., 1, 0] ** 2 / S[..., 0, 0])
    np.testing.assert_allclose(cond.alpha / cond.alpha.sum(axis=1, keepdims=True), w, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cond.mu[:, :, 0], m, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cond.sigma[:, :, 0], s, rtol=1e-9)
    # y2 given y1 is y1 + noise of 0.05: the conditional knows it.
    assert np.all(np.abs(cond.mean()[:, 0] - v) < 0.1) and np.all(cond.std()[:, 0] < 0.1)
    # By index, a scalar for every row, the same thing.
    np.testing.assert_array_equal(full.predict_conditional(X, {0: 0.5}).mean(),
                                  full.predict_conditional(X, {"y0": np.full(20, 0.5)}).mean())
    for bad, match in [({"nope": 1.0}, "no target named"), ({"y0": 1, "y1": 2}, "every target"),
                       ({"y0": [1.0, 2.0]}, "one value per row"), ({}, "at least one"), ({5: 1.0}, "out of range"),
                       ({"y0": np.nan}, "NaN")]:
        with pytest.raises(ValueError, match=match):
            full.predict_conditional(X, bad)


def test_conditional_of_three_targets_keeps_the_factors():
    """Observing one of three targets leaves a full 2-target conditional."""
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, size=(800, 1))
    z = rng.normal(size=(800, 3))
    y = np.column_stack([X[:, 0] + 0.3 * z[:, 0], X[:, 0] + 0.3 * z[:, 0] + 0.1 * z[:, 1], 0.2 * z[:, 2]])
    est = mdn.MDNRegressor(covariance="full", components=1, hidden=(8,), epochs=5, device="cpu",
                           random_state=0).fit(X, y)
    alpha, mu, _, tril = est.predict_mixture(X[:5])
    cond = est.predict_conditional(X[:5], {"y1": 0.25})
    assert cond.scale_tril.shape == (5, 1, 2, 2)
    # Two observed, given out of order: the values follow their targets.
    pair = est.predict_conditional(X[:5], {"y2": 0.1, "y0": -0.4})
    assert pair.n_targets == 1 and pair.scale_tril is None
    S = (tril @ np.swapaxes(tril, 2, 3))[:, 0]
    for U, O, v, got in [([0, 2], [1], [0.25], cond), ([1], [0, 2], [-0.4, 0.1], pair)]:
        for r in range(5):
            gain = S[r][np.ix_(U, O)] @ np.linalg.inv(S[r][np.ix_(O, O)])
            mean = mu[r, 0, U] + gain @ (np.array(v) - mu[r, 0, O])
            cov = S[r][np.ix_(U, U)] - gain @ S[r][np.ix_(O, U)]
            np.testing.assert_allclose(got.mu[r, 0], mean, rtol=1e-9, atol=1e-12)
            A = got.scale_tril[r, 0] if got.scale_tril is not None else got.sigma[r, 0][:, None]
            np.testing.assert_allclose(A @ A.T, cov, rtol=1e-9, atol=1e-14)


def test_bad_parameters_are_refused_before_training(data):
    (X, y), _ = data
    with pytest.raises(ValueError, match=r'covariance="full" needs at least 2 target columns \(y has 1\)'):
        mdn.MDNRegressor(covariance="full", **KW).fit(X, y[:, 0])
    with pytest.raises(ValueError, match="covariance must be one of 'diagonal', 'full' \\(got 'ful'\\)"):
        mdn.MDNRegressor(covariance="ful", **KW).fit(X, y)
    for extra, match in [(dict(target_transform="log"), "target_transform")]:
        with pytest.raises(ValueError, match=match):
            mdn.MDNRegressor(covariance="full", **{**KW, **extra}).fit(X, y)
    with pytest.raises(ValueError, match='device="cuda"'):
        mdn.MDNRegressor(covariance="full", **{**KW, "device": "cuda"}).fit(X, y)


def test_an_ensemble_is_one_mixture_of_its_members_factors(data):
    """ensemble=2, sigma-scaled (calibrate=True): 2 x K components, each with
    its factor, and the score is their mixture's joint log-density."""
    (X, y), (Xt, yt) = data
    est = mdn.MDNRegressor(covariance="full", ensemble=2, calibrate=True, **KW).fit(X, y)
    alpha, mu, _, tril = est.predict_mixture(Xt[:100])
    assert alpha.shape == (100, 4) and tril.shape == (100, 4, 2, 2)
    np.testing.assert_allclose(alpha.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(est.score_samples(Xt[:100], yt[:100]), reference_logpdf(alpha, mu, tril, yt[:100]),
                               rtol=1e-9, atol=1e-9)
    assert est.score(Xt, yt) > mdn.MDNRegressor(ensemble=2, calibrate=True, **KW).fit(X, y).score(Xt, yt) + 0.5


def test_refused_outputs_say_why(full, data):
    _, (Xt, yt) = data
    with pytest.raises(ValueError, match="joint modes"):
        full.predict_modes(Xt[:3])
    with pytest.raises(ValueError, match="joint CDF"):
        full.cdf(Xt[:3], yt[:3], joint=True)
    with pytest.raises(ValueError, match="joint CDF"):
        full.predict_dist(Xt[:3]).cdf(yt[:3], joint=True)
    with pytest.raises(ValueError, match="modes"):
        full.predict_dist(Xt[:3]).modes()


def test_pickle_save_load_and_warm_start(full, data, tmp_path):
    (X, y), (Xt, yt) = data
    state = full.model_.__getstate__()
    assert state[0] == 8 and len(state) == 18 and state[17] == "full"
    again = pickle.loads(pickle.dumps(full))
    assert again.covariance == "full"
    for a, b in zip(again.predict_mixture(Xt[:30]), full.predict_mixture(Xt[:30])):
        np.testing.assert_array_equal(a, b)
    assert again.score(Xt, yt) == full.score(Xt, yt)
    path = tmp_path / "full.safetensors"
    full.save(path)
    loaded = mdn.load(path, device="cpu")
    assert loaded.covariance == "full" and loaded.get_params()["covariance"] == "full"
    np.testing.assert_array_equal(loaded.predict_mixture(Xt[:30])[3], full.predict_mixture(Xt[:30])[3])
    np.testing.assert_array_equal(loaded.sample(Xt[:5], 3, random_state=2), full.sample(Xt[:5], 3, random_state=2))
    # warm_start continues a full model, and refuses to turn it diagonal.
    with pytest.raises(ValueError, match="covariance='full'"):
        loaded.set_params(warm_start=True, covariance="diagonal").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mdn.TrainingWarning)  # 2 epochs: "the best epoch was the first"
        loaded.set_params(covariance="full", epochs=2).fit(X, y)
    assert loaded.covariance == "full" and len(loaded.predict_mixture(Xt[:2])) == 4
    # The distribution object pickles with its factors.
    dist = full.predict_dist(Xt[:6])
    back = pickle.loads(pickle.dumps(dist))
    np.testing.assert_array_equal(back.scale_tril, dist.scale_tril)
    np.testing.assert_array_equal(back[2].logpdf(yt[2]), dist.logpdf(yt[:6])[2])
    assert "full covariance" in repr(dist)


def test_estimator_pickled_before_covariance_existed_loads_diagonal(fitted):
    old = pickle.loads(pickle.dumps(fitted))
    del old.__dict__["covariance"]  # as an estimator pickled by an earlier version
    again = pickle.loads(pickle.dumps(old))
    assert again.get_params()["covariance"] == "diagonal"


def test_distribution_from_factors(full, data):
    _, (Xt, yt) = data
    alpha, mu, sigma, tril = full.predict_mixture(Xt[:8])
    dist = mdn.MixtureDistribution(alpha, mu, None, scale_tril=tril)
    np.testing.assert_allclose(dist.sigma, sigma, rtol=1e-12)
    np.testing.assert_allclose(dist.logpdf(yt[:8]), full.score_samples(Xt[:8], yt[:8]), rtol=1e-12)
    np.testing.assert_array_equal(dist.marginal(1).ppf(0.3), full.predict_quantiles(Xt[:8], 0.3)[:, 1])
    upper = tril.copy()
    upper[0, 0, 0, 1] = 0.1
    with pytest.raises(ValueError, match="lower triangular"):
        mdn.MixtureDistribution(alpha, mu, None, scale_tril=upper)
    with pytest.raises(ValueError, match=r"\(n, K, T, T\)"):
        mdn.MixtureDistribution(alpha, mu, None, scale_tril=tril[:, :, :1])
    with pytest.raises(ValueError, match="norms of scale_tril"):
        mdn.MixtureDistribution(alpha, mu, 2 * sigma, scale_tril=tril)


def test_conformal_intervals_of_a_full_model(full, data):
    _, (Xt, yt) = data
    full_again = pickle.loads(pickle.dumps(full)).calibrate_intervals(Xt[:500], yt[:500])
    iv = full_again.predict_interval(Xt[500:], 0.9, method="conformal")
    covered = (iv[:, :, 0, 0] <= yt[500:]) & (yt[500:] <= iv[:, :, 0, 1])
    assert np.all(np.abs(covered.mean(axis=0) - 0.9) < 0.05), covered.mean(axis=0)


def test_cli_full_model_loads_and_matches_mdn_predict(tmp_path, mdn_exe):
    X, y = correlated(1200, seed=5)
    data = tmp_path / "d.csv"
    write_csv(data, {"a": X[:, 0], "b": X[:, 1], "u": y[:, 0], "v": y[:, 1]})
    model = tmp_path / "cli.safetensors"
    run(mdn_exe, "train", "--data", data, "--target", "u,v", "--model", model, "--covariance", "full",
        "--components", 2, "--hidden", 12, "--epochs", 6, "--seed", 3, "--quiet", *CPU)
    est = mdn.load(model, device="cpu")
    assert est.covariance == "full" and est.n_targets_ == 2
    table = read_csv(data)
    Xf = table[["a", "b"]]
    out = tmp_path / "p.csv"
    run(mdn_exe, "predict", "--model", model, "--data", data, "--out", out, "--params", "--quiet",
        "--quantiles", "0.1,0.9", *CPU)
    pred = read_csv(out)
    alpha, mu, sigma, tril = est.predict_mixture(Xf)
    names = ["u", "v"]
    for d, name in enumerate(names):
        np.testing.assert_array_equal(pred[f"{name}_mean"].to_numpy(), est.predict(Xf)[:, d])
        np.testing.assert_array_equal(pred[f"{name}_std"].to_numpy(), est.predict_std(Xf)[:, d])
        np.testing.assert_array_equal(pred[f"{name}_q0.9"].to_numpy(), est.predict_quantiles(Xf, 0.9)[:, d])
    for k in range(2):
        for i, ni in enumerate(names):
            np.testing.assert_array_equal(pred[f"mu_{k + 1}_{ni}"].to_numpy(), mu[:, k, i])
            np.testing.assert_array_equal(pred[f"sigma_{k + 1}_{ni}"].to_numpy(), sigma[:, k, i])
            for j, nj in enumerate(names[: i + 1]):
                np.testing.assert_array_equal(pred[f"tril_{k + 1}_{ni}_{nj}"].to_numpy(), tril[:, k, i, j])
    # The same data, seed and settings train the same model in Python.
    ours = mdn.MDNRegressor(covariance="full", components=2, hidden=(12,), epochs=6, device="cpu",
                            random_state=3).fit(Xf.to_numpy(), table[names].to_numpy())
    for a, b in zip(ours.predict_mixture(Xf.to_numpy()), (alpha, mu, sigma, tril)):
        np.testing.assert_array_equal(a, b)
    # Draws: `mdn sample` with a seed is sample(random_state=seed).
    samples = tmp_path / "s.csv"
    run(mdn_exe, "sample", "--model", model, "--data", data, "--samples", 3, "--seed", 9, "--out", samples,
        "--quiet", *CPU)
    np.testing.assert_array_equal(read_csv(samples)[names].to_numpy(), est.sample(Xf, 3, random_state=9).reshape(-1, 2))
    # eval's NLL is the joint one, minus score().
    metrics = tmp_path / "m.json"
    run(mdn_exe, "eval", "--model", model, "--data", data, "--json", metrics, *CPU)
    assert -est.score(Xf, table[names]) == pytest.approx(json.loads(metrics.read_text())["nll"], rel=1e-8)
    # --given is predict_conditional.
    given = tmp_path / "g.csv"
    run(mdn_exe, "predict", "--model", model, "--data", data, "--out", given, "--given", "u=0.25", "--quiet", *CPU)
    cond = est.predict_conditional(Xf, {"u": 0.25})
    np.testing.assert_allclose(read_csv(given)["v_mean"].to_numpy(), cond.mean()[:, 0], rtol=1e-12, atol=1e-14)


def test_conditional_of_a_diagonal_model_with_a_log_transform():
    """Diagonal components: only the weights move, w_k ~ alpha_k N(log v; mu_k0, s_k0)
    (the Jacobian 1/v is the same for every component), and the target left keeps
    its log transform: its mean is sum_k w_k exp(mu_k1 + s_k1^2 / 2)."""
    rng = np.random.default_rng(6)
    X = rng.uniform(-1, 1, size=(600, 1))
    y = np.exp(np.column_stack([X[:, 0], -X[:, 0]]) + 0.2 * rng.normal(size=(600, 2)))
    est = mdn.MDNRegressor(components=3, hidden=(8,), epochs=40, target_transform="log", device="cpu",
                           random_state=0).fit(X, y)
    alpha, mu, sigma = est.predict_mixture(X[:6])  # the mixture of u = log y
    cond = est.predict_conditional(X[:6], {"y0": 1.5})
    logw = np.log(alpha) + norm.logpdf(np.log(1.5), mu[:, :, 0], sigma[:, :, 0])
    w = np.exp(logw - logsumexp(logw, axis=1, keepdims=True))
    want = (w * np.exp(mu[:, :, 1] + sigma[:, :, 1] ** 2 / 2)).sum(axis=1)
    np.testing.assert_allclose(cond.mean()[:, 0], want, rtol=1e-6)
    with pytest.raises(ValueError, match="outside the target's transform"):
        est.predict_conditional(X[:6], {"y0": -1.0})
