"""MDNRegressor(target_transform=): a log-modelled lognormal target scores
better than none on held-out rows, every method answers in original units
(draws positive, quantiles bracket the rows), a pickled model keeps its
transform, a log of a non-positive target is refused naming it, and
predict_dist carries the transform (the estimator's answers)."""

import pickle

import numpy as np
import pytest

import mdn


def lognormal(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 1))
    y = np.exp(1.0 + 0.8 * x[:, 0] + (0.3 + 0.5 * np.abs(x[:, 0])) * rng.normal(size=n))
    return x, y


def test_log_beats_none_and_outputs_are_in_original_units():
    X, y = lognormal(2000, 1)
    Xt, yt = lognormal(2000, 2)
    common = dict(epochs=60, device="cpu", random_state=3)
    none = mdn.MDNRegressor(**common).fit(X, y)
    log = mdn.MDNRegressor(target_transform="log", **common).fit(X, y)
    assert log.score(Xt, yt) > none.score(Xt, yt) + 0.01
    draws = log.sample(Xt[:200], n_samples=20, random_state=4)
    assert (draws > 0).all()
    q = log.predict_quantiles(Xt, q=(0.05, 0.95))
    inside = np.mean((yt >= q[:, 0]) & (yt <= q[:, 1]))
    assert abs(inside - 0.9) < 0.04
    # The CDF at the quantiles gives the levels back.
    np.testing.assert_allclose(log.cdf(Xt[:50], q[:50, 0]), 0.05, atol=1e-7)
    # A pickled model keeps the transform: the same scores.
    again = pickle.loads(pickle.dumps(log))
    np.testing.assert_array_equal(again.score_samples(Xt[:100], yt[:100]), log.score_samples(Xt[:100], yt[:100]))
    # predict_dist carries the transform: the same answers as the estimator.
    dist = log.predict_dist(Xt[:100])
    np.testing.assert_allclose(dist.mean(), log.predict(Xt[:100]), rtol=1e-12)
    np.testing.assert_allclose(dist.ppf([0.05, 0.95]), log.predict_quantiles(Xt[:100], q=(0.05, 0.95)), rtol=1e-12)
    np.testing.assert_allclose(dist.logpdf(yt[:100]), log.score_samples(Xt[:100], yt[:100]), rtol=1e-12)
    np.testing.assert_allclose(dist[3].cdf(yt[3]), log.cdf(Xt[3:4], yt[3:4])[0], rtol=1e-12)
    again_dist = pickle.loads(pickle.dumps(dist))
    np.testing.assert_array_equal(again_dist.mean(), dist.mean())
    np.testing.assert_array_equal(np.ravel(dist.sample(5, random_state=4)), np.ravel(log.sample(Xt[:100], n_samples=5, random_state=4)))


def test_log_of_a_non_positive_target_names_it():
    X, y = lognormal(200, 5)
    y = y - 2.0
    with pytest.raises(ValueError, match="has values <= 0 \\(smallest -"):
        mdn.MDNRegressor(target_transform="log", epochs=1, device="cpu").fit(X, y)


def test_auto_keeps_none_on_a_gaussian_target_and_is_the_same_model():
    rng = np.random.default_rng(7)
    X = rng.uniform(-1, 1, size=(400, 1))
    y = 2.0 * X[:, 0] + rng.normal(size=400)
    a = mdn.MDNRegressor(epochs=5, device="cpu", random_state=1).fit(X, y)
    b = mdn.MDNRegressor(target_transform="auto", epochs=5, device="cpu", random_state=1).fit(X, y)
    np.testing.assert_array_equal(a.predict(X[:50]), b.predict(X[:50]))
