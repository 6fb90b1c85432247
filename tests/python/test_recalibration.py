"""Recalibration from Python: calibrate_intervals(X, y) refits the PIT map of
a one-target model, recalibration_ shows it, and every method — the
estimator's and predict_dist's — follows G(F(y | x)) and agrees with the
others; the map survives pickling, and bad knots are a ValueError."""

import pickle

import numpy as np
import pytest

import mdn


def hetero(n, seed, shift=0.0):
    """y = x + (0.2 + 0.3 |x|) noise + shift."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    y = x + (0.2 + 0.3 * np.abs(x)) * rng.normal(size=n) + shift
    return x.reshape(-1, 1), y


@pytest.fixture(scope="module")
def models():
    """The model as trained, and a copy recalibrated on rows that moved by 0.4."""
    X, y = hetero(3000, 1)
    plain = mdn.MDNRegressor(epochs=20, device="cpu", random_state=0).fit(X, y)
    moved = pickle.loads(pickle.dumps(plain))
    moved.calibrate_intervals(*hetero(1500, 2, shift=0.4))
    return plain, moved


def test_calibrate_fits_a_map_that_the_plain_model_lacks(models):
    plain, moved = models
    assert plain.recalibration_ == []
    (knots,) = moved.recalibration_
    assert knots[0] == 0.0 and knots[-1] == 1.0 and np.all(np.diff(knots) > 0)
    assert len(knots) > 2


def test_every_method_follows_the_map(models):
    plain, moved = models
    X, y = hetero(2000, 3, shift=0.4)
    # Better on the moved rows than the network alone, in NLL and in the middle of the PIT.
    assert moved.score_samples(X, y).mean() > plain.score_samples(X, y).mean() + 0.05
    q = moved.predict_quantiles(X, (0.05, 0.95))
    inside = np.mean((q[:, 0] <= y) & (y <= q[:, 1]))
    assert abs(inside - 0.9) < 0.03
    # The distribution object is the same distribution.
    dist = moved.predict_dist(X)
    assert len(dist.knots) == 1
    np.testing.assert_allclose(dist.mean(), moved.predict(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dist.std(), moved.predict_std(X), rtol=1e-12)
    np.testing.assert_allclose(dist.ppf([0.05, 0.95]), q, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dist.cdf(q[:, 1]), 0.95, atol=1e-9)
    np.testing.assert_allclose(dist.logpdf(y), moved.score_samples(X, y), rtol=1e-12)
    # Draws follow the same distribution: their mean is predict's within Monte-Carlo error.
    draws = moved.sample(X[:200], 400, random_state=1)[:, :, 0]
    z = (draws.mean(axis=1) - moved.predict(X[:200])) / (moved.predict_std(X[:200]) / np.sqrt(400))
    assert abs(z.mean() * np.sqrt(200)) < 4.0
    np.testing.assert_array_equal(dist[:200].sample(400, random_state=1), moved.sample(X[:200], 400, random_state=1))
    # And the plain model's draws do not: the map moved the distribution.
    assert abs(np.mean(moved.predict(X) - plain.predict(X))) > 0.2


def test_pickle_keeps_the_map(models):
    _, moved = models
    again = pickle.loads(pickle.dumps(moved))
    X, _ = hetero(100, 4)
    np.testing.assert_array_equal(again.recalibration_[0], moved.recalibration_[0])
    np.testing.assert_array_equal(again.predict_quantiles(X, 0.5), moved.predict_quantiles(X, 0.5))


def test_bad_knots_are_a_value_error():
    alpha, mu, sigma = np.ones((2, 1)), np.zeros((2, 1)), np.ones((2, 1))
    for knots in ([[0.0, 0.6, 0.5, 1.0]], [[0.1, 1.0]], [[0.0, 0.5, 1.0], [0.0, 1.0]]):
        with pytest.raises(ValueError, match="knots|recalibrated"):
            mdn.MixtureDistribution(alpha, mu, sigma, knots=knots)
    dist = mdn.MixtureDistribution(alpha, mu, sigma, knots=[[0.0, 0.25, 0.75, 1.0]])
    # G through (0, 0), (1/3, 1/4), (2/3, 3/4), (1, 1); F of N(0, 1) at y is 1/6 -> G = 1/8, slope 3/4.
    y = np.full(2, -0.9674215661017010)  # Phi^-1(1/6)
    np.testing.assert_allclose(dist.cdf(y), 0.125, rtol=1e-12)
    np.testing.assert_allclose(dist.pdf(y), 0.75 * np.exp(-0.5 * y * y) / np.sqrt(2 * np.pi), rtol=1e-12)
    np.testing.assert_allclose(dist.ppf(0.125), y, rtol=1e-9)


def test_inputs_far_outside_the_training_range_warn(models):
    import warnings

    plain, _ = models  # trained on x in [-2, 2]
    inside = np.linspace(-2.3, 2.3, 50).reshape(-1, 1)  # within 10 % of the width (0.4) of the range
    with warnings.catch_warnings():
        warnings.simplefilter("error", mdn.ExtrapolationWarning)
        plain.predict(inside)
    outside = np.array([[-3.0], [0.0], [2.5], [9.0]])
    with pytest.warns(mdn.ExtrapolationWarning, match=r"3 of 4 rows have feature 'x0' outside its training range"):
        plain.predict_quantiles(outside, 0.5)
