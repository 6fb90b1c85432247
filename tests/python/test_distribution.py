"""Per-row distributions: MDNRegressor.predict_dist (MixtureDistribution),
score_samples, logpdf and cdf. Everything is computed by the library; these
tests check it against the estimator's other methods (the same numbers),
against itself (cdf inverts ppf, draws follow ppf) and against scipy."""

import pickle

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm

import mdn
from conftest import bishop


def scipy_logpdf(alpha, mu, sigma, y):
    """log sum_k alpha_k prod_d N(y_d | mu_kd, sigma_kd), (n,), weights normalised."""
    a = alpha / alpha.sum(axis=1, keepdims=True)
    return logsumexp(np.log(a) + norm.logpdf(y[:, None, :], mu, sigma).sum(axis=2), axis=1)


def scipy_cdf(alpha, mu, sigma, y, joint):
    a = alpha / alpha.sum(axis=1, keepdims=True)
    phi = norm.cdf((y[:, None, :] - mu) / sigma)  # (n, K, T)
    if joint:
        return (a * phi.prod(axis=2)).sum(axis=1)
    return (a[:, :, None] * phi).sum(axis=1)


# ---- the same numbers as the estimator's methods ------------------------------------


def test_one_target_distribution_agrees_with_every_estimator_method(fitted, bishop_data):
    X, y = bishop_data
    X, y = X[:300], y[:300]
    dist = fitted.predict_dist(X)
    assert isinstance(dist, mdn.MixtureDistribution) and len(dist) == 300
    assert dist.n_components == 3 and dist.n_targets == 1
    alpha, mu, sigma = fitted.predict_mixture(X)
    np.testing.assert_array_equal(dist.alpha, alpha)
    np.testing.assert_array_equal(dist.mu, mu[:, :, 0])
    np.testing.assert_array_equal(dist.sigma, sigma[:, :, 0])
    assert not dist.mu.flags.writeable
    np.testing.assert_array_equal(dist.mean(), fitted.predict(X))
    np.testing.assert_array_equal(dist.std(), fitted.predict_std(X))
    np.testing.assert_allclose(dist.var(), fitted.predict_std(X) ** 2, rtol=1e-15)
    levels = [0.05, 0.5, 0.95]
    np.testing.assert_array_equal(dist.ppf(levels), fitted.predict_quantiles(X, levels))
    np.testing.assert_array_equal(dist.ppf(0.3), fitted.predict_quantiles(X, 0.3))
    np.testing.assert_array_equal(dist.interval(0.8), fitted.predict_interval(X, 0.8))
    for ours, theirs in zip(dist.modes(), fitted.predict_modes(X)):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(dist.logpdf(y), fitted.score_samples(X, y))
    np.testing.assert_array_equal(fitted.logpdf(X, y), fitted.score_samples(X, y))
    np.testing.assert_array_equal(dist.pdf(y), np.exp(fitted.score_samples(X, y)))
    np.testing.assert_array_equal(dist.cdf(y), fitted.cdf(X, y))
    np.testing.assert_array_equal(dist.cdf(y, joint=True), fitted.cdf(X, y))
    # On the CPU the draws are the estimator's too (same seed, same rows).
    np.testing.assert_array_equal(dist.sample(5, random_state=9), fitted.sample(X, 5, random_state=9))


def test_two_target_distribution_agrees_with_every_estimator_method(fitted_2d):
    model, X, y = fitted_2d
    X, y = X[:200], y[:200]
    n, K, T = 200, 3, 2
    dist = model.predict_dist(X)
    assert dist.n_targets == T and dist.mu.shape == (n, K, T)
    assert dist.mean().shape == (n, T) and dist.std().shape == (n, T)
    np.testing.assert_array_equal(dist.mean(), model.predict(X))
    np.testing.assert_array_equal(dist.std(), model.predict_std(X))
    assert dist.ppf(0.5).shape == (n, T) and dist.ppf([0.1, 0.9]).shape == (n, T, 2)
    np.testing.assert_array_equal(dist.ppf([0.1, 0.9]), model.predict_quantiles(X, [0.1, 0.9]))
    np.testing.assert_array_equal(dist.interval(0.5), model.predict_interval(X, 0.5))
    for ours, theirs in zip(dist.modes(), model.predict_modes(X)):
        np.testing.assert_array_equal(ours, theirs)
    assert dist.logpdf(y).shape == (n,) and dist.cdf(y).shape == (n, T) and dist.cdf(y, joint=True).shape == (n,)
    np.testing.assert_array_equal(dist.logpdf(y), model.score_samples(X, y))
    np.testing.assert_array_equal(dist.cdf(y), model.cdf(X, y))
    np.testing.assert_array_equal(dist.cdf(y, joint=True), model.cdf(X, y, joint=True))
    np.testing.assert_array_equal(dist.sample(3, random_state=2), model.sample(X, 3, random_state=2))


def test_score_is_the_mean_of_score_samples(fitted, fitted_2d, bishop_data):
    X, y = bishop_data
    samples = fitted.score_samples(X, y)
    assert samples.shape == (len(X),) and samples.dtype == np.float64
    assert fitted.score(X, y) == np.mean(samples)
    model, X2, y2 = fitted_2d
    assert model.score(X2, y2) == np.mean(model.score_samples(X2, y2))


# ---- the library against itself and against scipy -----------------------------------


@pytest.mark.parametrize("which", ["one", "two"])
def test_cdf_inverts_ppf(which, fitted, fitted_2d, bishop_data):
    if which == "one":
        est, X = fitted, bishop_data[0][:200]
    else:
        est, X = fitted_2d[0], fitted_2d[1][:200]
    dist = est.predict_dist(X)
    levels = np.array([0.001, 0.05, 0.3, 0.5, 0.7, 0.95, 0.999])
    q = dist.ppf(levels)  # (n, L) or (n, T, L)
    for j, level in enumerate(levels):
        np.testing.assert_allclose(dist.cdf(q[..., j]), level, rtol=0, atol=1e-10)


def test_draws_follow_the_quantiles(fitted, fitted_2d, bishop_data):
    """The fraction of draws below ppf(q) is q, within 4.5 binomial standard errors."""
    S = 20000
    levels = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
    tolerance = 4.5 * np.sqrt(levels * (1 - levels) / S)
    for est, X in ((fitted, bishop_data[0][:10]), (fitted_2d[0], fitted_2d[1][:10])):
        dist = est.predict_dist(X)
        q = dist.ppf(levels).reshape(len(X), -1, len(levels))  # (n, T, L)
        draws = dist.sample(S, random_state=5)  # (n, S, T)
        below = (draws[:, :, :, None] <= q[:, None, :, :]).mean(axis=1)  # (n, T, L)
        assert (np.abs(below - levels) <= tolerance).all(), np.abs(below - levels).max()


def test_densities_and_cdfs_against_scipy(fitted_2d):
    model, X, y = fitted_2d
    X, y = X[:100], y[:100]
    dist = model.predict_dist(X)
    alpha, mu, sigma = dist.alpha, dist.mu, dist.sigma
    np.testing.assert_allclose(dist.logpdf(y), scipy_logpdf(alpha, mu, sigma, y), rtol=1e-10)
    np.testing.assert_allclose(dist.cdf(y), scipy_cdf(alpha, mu, sigma, y, False), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dist.cdf(y, joint=True), scipy_cdf(alpha, mu, sigma, y, True), rtol=1e-10,
                               atol=1e-14)
    # Each target's marginal is a one-target distribution of its own.
    for d in range(2):
        m = dist.marginal(d)
        assert m.n_targets == 1 and m.mu.shape == (100, 3)
        np.testing.assert_array_equal(m.mean(), dist.mean()[:, d])
        np.testing.assert_array_equal(m.ppf([0.2, 0.8]), dist.ppf([0.2, 0.8])[:, d])
        np.testing.assert_array_equal(m.cdf(y[:, d]), dist.cdf(y)[:, d])
        want = scipy_logpdf(alpha, mu[:, :, d : d + 1], sigma[:, :, d : d + 1], y[:, d : d + 1])
        np.testing.assert_allclose(m.logpdf(y[:, d]), want, rtol=1e-10)
    np.testing.assert_array_equal(dist.marginal(-1).mean(), dist.mean()[:, 1])
    # The limits, and a scalar y for every row.
    assert (dist.cdf(np.inf, joint=True) == 1).all() and (dist.cdf(-np.inf) == 0).all()
    assert np.isnan(dist.cdf(np.nan)).all()
    assert (dist.logpdf([1e6, 1e6]) < -1e6).all() and (dist.pdf([1e6, 1e6]) == 0).all()
    np.testing.assert_array_equal(dist.cdf([0.0, 1.0]), dist.cdf(np.tile([0.0, 1.0], (100, 1))))


def test_distribution_from_arrays():
    alpha = np.array([[0.25, 0.75], [1.0, 0.0]])
    mu = np.array([[-1.0, 2.0], [0.0, 5.0]])
    sigma = np.array([[0.5, 1.0], [2.0, 1.0]])
    dist = mdn.MixtureDistribution(alpha, mu, sigma)
    np.testing.assert_allclose(dist.mean(), [0.25 * -1 + 0.75 * 2, 0.0])
    np.testing.assert_allclose(dist.std()[1], 2.0)
    np.testing.assert_allclose(dist.cdf([0.0, 0.0]), [0.25 * norm.cdf(2) + 0.75 * norm.cdf(-2), 0.5], rtol=1e-14)
    np.testing.assert_allclose(dist.ppf(0.5)[1], 0.0, atol=1e-12)
    np.testing.assert_allclose(dist.logpdf([2.0, 1.0])[1], norm.logpdf(1.0, 0.0, 2.0), rtol=1e-14)
    assert dist.sample(4, random_state=0).shape == (2, 4, 1)
    # Unnormalised weights are normalised, as everywhere in the library.
    np.testing.assert_allclose(mdn.MixtureDistribution(2 * alpha, mu, sigma).cdf(0.3), dist.cdf(0.3), rtol=1e-15)
    # The caller's arrays are copied: changing them later changes nothing.
    mu[0, 0] = 100.0
    assert dist.mu[0, 0] == -1.0


@pytest.mark.parametrize(
    "alpha, mu, sigma, message",
    [
        ([[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 0.0]], "sigma must be finite and > 0 \\(row 0, component 1\\)"),
        ([[1.0, -0.5]], [[0.0, 1.0]], [[1.0, 1.0]], "alpha must be finite and >= 0"),
        ([[0.0, 0.0]], [[0.0, 1.0]], [[1.0, 1.0]], "alpha of row 0 sums to 0"),
        ([[1.0, 1.0]], [[0.0, np.nan]], [[1.0, 1.0]], "mu must be finite"),
        ([[1.0, 1.0]], [[0.0, 1.0, 2.0]], [[1.0, 1.0, 1.0]], "disagree"),
        ([1.0, 1.0], [0.0, 1.0], [1.0, 1.0], "alpha must be \\(n, K\\)"),
        ([[1.0]], [[0.0]], [[[1.0]]], "alpha must be \\(n, K\\)"),
    ],
)
def test_bad_mixture_arrays(alpha, mu, sigma, message):
    with pytest.raises(ValueError, match=message):
        mdn.MixtureDistribution(alpha, mu, sigma)


# ---- rows -------------------------------------------------------------------------------


def test_rows_index_and_slice(fitted, fitted_2d, bishop_data):
    X, y = bishop_data
    dist = fitted.predict_dist(X[:50])
    one = dist[7]
    assert one.mean().shape == () and one.mean() == dist.mean()[7]
    assert one.ppf([0.1, 0.9]).shape == (2,) and one.alpha.shape == (3,) and one.mu.shape == (3,)
    assert one.cdf(y[7]) == dist.cdf(y[:50])[7] and one.logpdf(y[7]) == dist.logpdf(y[:50])[7]
    assert one.sample(6, random_state=1).shape == (6, 1)
    assert one.interval(0.9).shape == (3, 2) and one.modes()[0].shape == (3,)
    np.testing.assert_array_equal(dist[-1].std(), dist.std()[-1])
    for rows in (slice(10, 20), slice(None, None, 3), np.arange(50) % 4 == 0, [3, 1, 4, 1]):
        part = dist[rows]
        np.testing.assert_array_equal(part.mean(), dist.mean()[rows])
        np.testing.assert_array_equal(part.ppf([0.25, 0.75]), dist.ppf([0.25, 0.75])[rows])
        np.testing.assert_array_equal(part.cdf(y[:50][rows]), dist.cdf(y[:50])[rows])
        assert len(part) == len(dist.mean()[rows])
    model, X2, y2 = fitted_2d
    dist2 = model.predict_dist(X2[:20])
    assert dist2[3].mean().shape == (2,) and dist2[3].cdf(y2[3]).shape == (2,)
    assert dist2[3].cdf(y2[3], joint=True).shape == () and dist2[3].logpdf(y2[3]) == dist2.logpdf(y2[:20])[3]
    np.testing.assert_array_equal(dist2[2:5].marginal(1).mean(), dist2.mean()[2:5, 1])
    with pytest.raises(IndexError, match="50 rows"):
        dist[50]
    with pytest.raises(IndexError):
        dist[1, 2]
    with pytest.raises(TypeError):
        len(one)


def test_pickle_and_repr(fitted, bishop_data):
    dist = fitted.predict_dist(bishop_data[0][:30])
    again = pickle.loads(pickle.dumps(dist))
    np.testing.assert_array_equal(again.ppf([0.1, 0.5]), dist.ppf([0.1, 0.5]))
    assert pickle.loads(pickle.dumps(dist[4])).mean() == dist.mean()[4]
    assert repr(dist) == "MixtureDistribution(30 rows, 3 components, 1 target)"


# ---- arguments ------------------------------------------------------------------------


def test_bad_distribution_arguments(fitted, fitted_2d, bishop_data):
    X, y = bishop_data
    dist = fitted.predict_dist(X[:10])
    with pytest.raises(ValueError, match="quantile|level|0, 1"):
        dist.ppf([0.5, 1.5])
    with pytest.raises(ValueError, match="q must be"):
        dist.ppf([[0.5]])
    with pytest.raises(ValueError, match="level|coverage"):
        dist.interval(1.0)
    with pytest.raises(ValueError, match="n_samples"):
        dist.sample(0)
    with pytest.raises(ValueError, match="random_state"):
        dist.sample(2, random_state=-3)
    with pytest.raises(ValueError, match="y has shape \\(11,\\)"):
        dist.cdf(np.zeros(11))
    with pytest.raises(ValueError, match="y must be numeric"):
        dist.logpdf("high")
    with pytest.raises(ValueError, match="joint must be True or False"):
        dist.cdf(y[:10], joint="yes")
    with pytest.raises(ValueError, match="target must be in \\[-1, 1\\)"):
        dist.marginal(1)
    model, X2, y2 = fitted_2d
    with pytest.raises(ValueError, match="y has shape \\(5,\\)"):
        model.predict_dist(X2[:5]).logpdf(y2[:5, 0])
    with pytest.raises(ValueError, match="joint must be True or False"):
        fitted.cdf(X[:10], y[:10], joint=1)
    with pytest.raises(ValueError):
        fitted.score_samples(X[:10], y[:9])


def test_not_fitted():
    from sklearn.exceptions import NotFittedError

    X, y = bishop(10)
    est = mdn.MDNRegressor()
    for call in (lambda: est.predict_dist(X), lambda: est.score_samples(X, y), lambda: est.logpdf(X, y),
                 lambda: est.cdf(X, y)):
        with pytest.raises(NotFittedError):
            call()
