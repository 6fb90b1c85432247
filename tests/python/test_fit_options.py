"""fit's sample_weight and eval_set, score's sample_weight, warm_start and the
training warnings (issue 29, items 2 to 5): each passed to the library
(Dataset::weights, TrainHooks::validation, TrainHooks::init_model,
TrainingHistory::warnings) and checked on what it does to the model."""

import warnings

import numpy as np
import pytest

import mdn
from conftest import bishop


def small(**params):
    base = dict(components=2, hidden=(8,), epochs=8, batch_size=32, device="cpu", random_state=0)
    base.update(params)
    return mdn.MDNRegressor(**base)


def quiet_fit(est, *args, **kwargs):
    """fit with its TrainingWarnings silenced (tests of other things)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mdn.TrainingWarning)
        return est.fit(*args, **kwargs)


def two_groups(n_per_group, seed=0):
    """y independent of x: half the rows near -2, half near +2 (the group is
    the sign of y), in random order; the group of each row is returned too."""
    rng = np.random.default_rng(seed)
    group = rng.permutation(np.repeat([0, 1], n_per_group))
    X = rng.uniform(-1, 1, size=(2 * n_per_group, 1))
    y = np.where(group == 1, 2.0, -2.0) + 0.3 * rng.normal(size=2 * n_per_group)
    return X, y, group


# ---- sample weights -----------------------------------------------------------------


def test_zero_weights_give_the_model_of_the_other_rows():
    """Rows of weight 0 leave before anything else (split, statistics, batches):
    the model is exactly the one trained on the remaining rows alone."""
    X, y = bishop(400)
    rng = np.random.default_rng(1)
    keep = rng.uniform(size=400) < 0.5
    w = np.where(keep, rng.integers(1, 4, size=400), 0).astype(float)
    grid = np.linspace(0, 1, 25).reshape(-1, 1)

    weighted = small().fit(X, y, sample_weight=w)
    others = small().fit(X[keep], y[keep], sample_weight=w[keep])
    np.testing.assert_array_equal(weighted.predict(grid), others.predict(grid))
    np.testing.assert_array_equal(weighted.predict_std(grid), others.predict_std(grid))
    np.testing.assert_array_equal(weighted.history_["train_nll"], others.history_["train_nll"])

    # Equal weights on the kept rows are no weights: the plain fit on those rows.
    ones = np.where(keep, 5.0, 0.0)
    plain = small().fit(X[keep], y[keep])
    np.testing.assert_array_equal(small().fit(X, y, sample_weight=ones).predict(grid), plain.predict(grid))
    # ... and the weights do change the model (the tests above can fail).
    assert not np.array_equal(others.predict(grid), plain.predict(grid))


def group_mass(est, X):
    """The mean predicted probability of the upper group, P(y > 0 | x)."""
    return float(np.mean(1.0 - est.cdf(X, np.zeros(len(X)))))


def test_integer_weights_behave_like_repeated_rows_in_distribution():
    """Weight 3 on the upper group's rows: both the weighted fit and the fit on
    the rows repeated put about 3/4 of the predicted mass on it; unweighted,
    about 1/2. (Not the same model: minibatches draw rows, not copies.)"""
    X, y, group = two_groups(300)
    w = np.where(group == 1, 3, 1)
    # Three components: the initial means sit at quantiles of the training
    # targets (unweighted), and with two the repeated rows' quantiles can both
    # land in the upper group, a start that converges slowly.
    params = dict(components=3, hidden=(8,), epochs=30, device="cpu", random_state=0)
    weighted = quiet_fit(mdn.MDNRegressor(**params), X, y, sample_weight=w)
    repeated = quiet_fit(mdn.MDNRegressor(**params), np.repeat(X, w, axis=0), np.repeat(y, w))
    plain = quiet_fit(mdn.MDNRegressor(**params), X, y)
    grid = np.linspace(-1, 1, 21).reshape(-1, 1)
    assert group_mass(weighted, grid) == pytest.approx(0.75, abs=0.05)
    assert group_mass(repeated, grid) == pytest.approx(0.75, abs=0.05)
    assert group_mass(plain, grid) == pytest.approx(0.5, abs=0.05)
    # The groups' locations are the same either way.
    for est in (weighted, repeated, plain):
        assert est.predict_quantiles(grid, 0.9).mean() == pytest.approx(2.0 + 0.3 * 1.28, abs=0.25)


def test_weighted_score_and_crps_equal_those_of_repeated_rows(fitted, bishop_data):
    X, y = bishop_data
    X, y = X[:300], y[:300]
    w = np.random.default_rng(2).integers(0, 4, size=300)
    Xr, yr = np.repeat(X, w, axis=0), np.repeat(y, w)
    assert fitted.score(X, y, sample_weight=w) == pytest.approx(fitted.score(Xr, yr), rel=1e-12)
    assert fitted.crps(X, y, sample_weight=w) == pytest.approx(fitted.crps(Xr, yr), rel=1e-12)
    # Weights of 1 (or any constant) are the plain mean; the sign is score's (log-likelihood).
    assert fitted.score(X, y, sample_weight=np.full(300, 2.5)) == pytest.approx(fitted.score(X, y), rel=1e-12)
    assert fitted.score(X, y, sample_weight=w) != pytest.approx(fitted.score(X, y), rel=1e-6)
    assert fitted.score(X, y, sample_weight=w) > 0  # a sharp density: log-likelihood above 0


def test_score_leaves_out_rows_of_weight_zero(fitted, bishop_data):
    X, y = bishop_data
    X, y = X[:50], y[:50].copy()
    y[0] = 1e6  # far out: a log-likelihood of about -1e12
    assert fitted.score(X, y) < -1e9
    w = np.ones(50)
    w[0] = 0
    assert fitted.score(X, y, sample_weight=w) == pytest.approx(fitted.score(X[1:], y[1:]), rel=1e-12)


@pytest.mark.parametrize(
    "weights, message",
    [
        (lambda n: -np.ones(n), r"sample_weight contains negative weights \(index 0: -1.0\); weights must be >= 0"),
        (lambda n: np.r_[np.ones(n - 1), np.nan], rf"sample_weight contains NaN or infinity \(index \d+: nan\)"),
        (lambda n: np.r_[np.inf, np.ones(n - 1)], r"sample_weight contains NaN or infinity \(index 0: inf\)"),
        (lambda n: np.ones(n + 1), r"sample_weight has 201 weights for 200 rows; give one weight per row"),
        (lambda n: np.ones((n, 2)), r"sample_weight must be 1-D, one weight per row \(got shape \(200, 2\)\)"),
        (lambda n: np.zeros(n), r"sample_weight: every weight is zero; at least one row needs a positive weight"),
        (lambda n: np.array(["a"] * n), r"sample_weight must be numeric"),
        (lambda n: -1.0, r"sample_weight contains negative weights"),
    ],
)
def test_bad_sample_weights_are_refused_with_a_clear_message(weights, message):
    X, y = bishop(200)
    est = small()
    with pytest.raises(ValueError, match=message):
        est.fit(X, y, sample_weight=weights(200))
    assert not hasattr(est, "model_")
    fitted = quiet_fit(small(epochs=1), X, y)
    with pytest.raises(ValueError, match=message):
        fitted.score(X, y, sample_weight=weights(200))


def test_sample_weight_is_not_written_and_may_be_a_list_a_series_or_a_number():
    pd = pytest.importorskip("pandas")
    X, y = bishop(200)
    w = np.arange(200) % 3 + 1.0
    original = w.copy()
    grid = np.linspace(0, 1, 11).reshape(-1, 1)
    array = small().fit(X, y, sample_weight=w).predict(grid)
    np.testing.assert_array_equal(w, original)
    np.testing.assert_array_equal(small().fit(X, y, sample_weight=list(w)).predict(grid), array)
    np.testing.assert_array_equal(small().fit(X, y, sample_weight=pd.Series(w)).predict(grid), array)
    np.testing.assert_array_equal(small().fit(X, y, sample_weight=w.astype(np.float32)).predict(grid), array)
    # A number is every row's weight: the plain fit.
    np.testing.assert_array_equal(small().fit(X, y, sample_weight=2).predict(grid), small().fit(X, y).predict(grid))


# ---- eval_set -----------------------------------------------------------------------


def test_eval_set_replaces_the_random_split():
    X, y = bishop(600, seed=3)
    Xv, yv = bishop(150, seed=4)
    grid = np.linspace(0, 1, 25).reshape(-1, 1)
    a = small(val_fraction=0.1).fit(X, y, eval_set=(Xv, yv))
    b = small(val_fraction=0.3).fit(X, y, eval_set=(Xv, yv))
    np.testing.assert_array_equal(a.predict(grid), b.predict(grid))
    np.testing.assert_array_equal(a.history_["val_nll"], b.history_["val_nll"])
    # Without it, val_fraction changes the model (the check above can fail).
    c, d = small(val_fraction=0.1).fit(X, y), small(val_fraction=0.3).fit(X, y)
    assert not np.array_equal(c.predict(grid), d.predict(grid))
    # Every row of X trains: the model differs from one trained with a split.
    assert not np.array_equal(a.predict(grid), c.predict(grid))
    # A validation NLL per epoch, for early stopping on the eval_set.
    assert len(a.history_["val_nll"]) == a.n_iter_


@pytest.mark.parametrize("weighted", [False, True])
def test_the_best_validation_nll_is_the_models_nll_on_the_eval_set(weighted):
    X, y = bishop(600, seed=5)
    Xv, yv = bishop(200, seed=6)
    wv = np.random.default_rng(7).integers(0, 4, size=200).astype(float) if weighted else None
    eval_set = (Xv, yv, wv) if weighted else (Xv, yv)
    est = small(epochs=15).fit(X, y, eval_set=eval_set)
    best = est.history_["val_nll"][est.history_["best_epoch"] - 1]
    # The history is the network's float32 NLL; score computes in float64.
    assert best == pytest.approx(-est.score(Xv, yv, sample_weight=wv), abs=2e-4)
    assert best == pytest.approx(np.min(est.history_["val_nll"]))
    if weighted:  # the weights count: the unweighted NLL is another number
        assert best != pytest.approx(-est.score(Xv, yv), abs=2e-3)


def test_eval_set_with_dataframes_keeps_the_column_names():
    pd = pytest.importorskip("pandas")
    X, y = bishop(300)
    Xv, yv = bishop(100, seed=1)
    frame = pd.DataFrame({"a": X[:, 0]})
    est = small().fit(frame, pd.Series(y, name="t"), eval_set=(pd.DataFrame({"a": Xv[:, 0]}), yv))
    assert list(est.model_.feature_names) == ["a"] and list(est.model_.target_names) == ["t"]
    with pytest.raises(ValueError, match=r"eval_set: X_val: .*feature names"):
        small().fit(frame, y, eval_set=(pd.DataFrame({"b": Xv[:, 0]}), yv))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda Xv, yv: (np.hstack([Xv, Xv]), yv),
         r"eval_set: X_val has 2 features but X has 1; the validation rows must have the training data's features"),
        (lambda Xv, yv: (Xv, np.column_stack([yv, yv])),
         r"eval_set: y_val has shape \(50, 2\); 1 target column\(s\) were expected, as in y"),
        (lambda Xv, yv: (Xv, yv[:40]), r"eval_set: X_val has 50 rows but y_val has 40"),
        (lambda Xv, yv: (Xv,), r"eval_set must be a tuple \(X_val, y_val\) or \(X_val, y_val, sample_weight_val\)"),
        (lambda Xv, yv: Xv, r"eval_set must be a tuple"),
        (lambda Xv, yv: (Xv, None), r"eval_set needs both X_val and y_val"),
        (lambda Xv, yv: (Xv, yv, -np.ones(50)), r"eval_set's sample_weight contains negative weights"),
        (lambda Xv, yv: (Xv, yv, np.zeros(50)), r"eval_set's sample_weight: every weight is zero"),
        (lambda Xv, yv: (Xv, yv, np.ones(49)), r"eval_set's sample_weight has 49 weights for 50 rows"),
        (lambda Xv, yv: (Xv, np.r_[yv[:49], np.nan]), r"y of eval_set contains NaN"),
        (lambda Xv, yv: (np.r_[Xv[:49], [[np.inf]]], yv), r"X of eval_set contains NaN"),
    ],
)
def test_bad_eval_sets_are_refused_with_a_clear_message(make, message):
    X, y = bishop(200)
    Xv, yv = bishop(50, seed=1)
    est = small()
    with pytest.raises(ValueError, match=message):
        est.fit(X, y, eval_set=make(Xv, yv))
    assert not hasattr(est, "model_")


# ---- warm_start ---------------------------------------------------------------------


def test_warm_start_continues_from_the_fitted_weights():
    X, y = bishop(800, seed=8)
    grid = np.linspace(0, 1, 25).reshape(-1, 1)
    est = small(epochs=20).fit(X, y)
    before = est.predict(grid)
    first_run_end = est.history_["train_nll"][-1]

    # A tiny learning rate: the weights barely move from the fitted ones ...
    est.set_params(warm_start=True, lr=1e-7, epochs=2)
    est.fit(X, y)
    np.testing.assert_allclose(est.predict(grid), before, atol=1e-3)
    assert est.n_iter_ == 2
    # ... while without warm_start the same fit starts afresh, far from them.
    fresh = quiet_fit(small(lr=1e-7, epochs=2), X, y)
    assert np.max(np.abs(fresh.predict(grid) - before)) > 0.05
    assert fresh.history_["train_nll"][0] > est.history_["train_nll"][0] + 0.3

    # With the usual rate it goes on from where it was (not from the start).
    est.set_params(lr=0.002, epochs=5)
    est.fit(X, y)
    assert est.history_["train_nll"][0] < first_run_end + 0.1
    assert est.history_["train_nll"][0] < fresh.history_["train_nll"][0] - 0.3


def test_warm_start_on_an_unfitted_estimator_is_a_fresh_fit():
    X, y = bishop(300)
    grid = np.linspace(0, 1, 11).reshape(-1, 1)
    np.testing.assert_array_equal(small(warm_start=True).fit(X, y).predict(grid), small().fit(X, y).predict(grid))


def test_warm_start_continues_a_loaded_model(tmp_path):
    X, y = bishop(600, seed=9)
    grid = np.linspace(0, 1, 11).reshape(-1, 1)
    est = small(epochs=15).fit(X, y)
    est.save(tmp_path / "m.safetensors")
    loaded = mdn.load(tmp_path / "m.safetensors", device="cpu")
    loaded.set_params(warm_start=True, lr=1e-7, epochs=1, random_state=0)
    loaded.fit(X, y)
    np.testing.assert_allclose(loaded.predict(grid), est.predict(grid), atol=1e-3)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda X, y: (np.hstack([X, X]), y, {}),
         r"X has 2 features, but MDNRegressor is expecting 1 features.*warm_start=True continues the fitted model"),
        (lambda X, y: (X, np.column_stack([y, y]), {}),
         r"y has 2 target column\(s\) but the fitted model has 1 \(warm_start=True continues the fitted model"),
        (lambda X, y: (X, y, {"components": 3}),
         r"warm_start=True continues the fitted model, which has components=2, but components is now 3; "
         r"set warm_start=False"),
        (lambda X, y: (X, y, {"hidden": (8, 8)}), r"which has hidden=\(8,\), but hidden is now \(8, 8\)"),
        (lambda X, y: (X, y, {"ensemble": 2}), r"which has ensemble=1, but ensemble is now 2"),
        (lambda X, y: (X, y, {"sigma_floor": 0.01}), r"warm_start=True continues the fitted model, but the initial model's architecture differs from this "
         r"run's: log-sigma bounds: .*; set warm_start=False"),
    ],
)
def test_warm_start_refuses_data_or_parameters_of_another_model(change, message):
    X, y = bishop(200)
    est = quiet_fit(small(epochs=2), X, y)
    model = est.model_
    X2, y2, params = change(X, y)
    est.set_params(warm_start=True, **params)
    with pytest.raises(ValueError, match=message):
        est.fit(X2, y2)
    assert est.model_ is model  # the fitted model is kept
    # Without warm_start the same fit trains a new model.
    quiet_fit(est.set_params(warm_start=False), X2, y2)
    assert est.model_ is not model


def test_warm_start_refuses_other_column_names():
    pd = pytest.importorskip("pandas")
    X, y = bishop(200)
    est = quiet_fit(small(epochs=2), pd.DataFrame({"a": X[:, 0]}), pd.Series(y, name="t"))
    est.set_params(warm_start=True)
    with pytest.raises(ValueError, match=r"(?s)feature names should match.*warm_start=True continues the fitted model"):
        est.fit(pd.DataFrame({"b": X[:, 0]}), y)
    with pytest.raises(ValueError, match=r"y's column names \['u'\] are not those the model was fitted on \['t'\]"):
        est.fit(pd.DataFrame({"a": X[:, 0]}), pd.Series(y, name="u"))
    # Unnamed y continues under the fitted names.
    quiet_fit(est, pd.DataFrame({"a": X[:, 0]}), y)
    assert list(est.model_.target_names) == ["t"]


# ---- training warnings --------------------------------------------------------------


def test_a_diverging_fit_warns():
    X, y = bishop(500)
    with pytest.warns(UserWarning, match=r"the trained model is worse than the baseline") as record:
        est = small(lr=1e6, epochs=5).fit(X, y)
    issued = [str(r.message) for r in record if issubclass(r.category, mdn.TrainingWarning)]
    assert issued == est.training_warnings_ and len(issued) >= 1
    for message in issued:  # the package's words: no CLI flags, no library fields
        assert "--" not in message and "::" not in message


def test_a_tiny_training_split_warns():
    X, y = bishop(300)
    with pytest.warns(mdn.TrainingWarning, match=r"only 3 training rows \(fewer than 50\)"):
        small(val_fraction=0.99).fit(X, y)


def test_a_tiny_eval_set_warns():
    X, y = bishop(300)
    Xv, yv = bishop(10, seed=1)
    with pytest.warns(mdn.TrainingWarning, match=r"only 10 validation rows \(fewer than 20\)"):
        small().fit(X, y, eval_set=(Xv, yv))


def test_a_good_fit_has_no_warnings_and_warnings_are_saved_in_the_model_file(fitted, tmp_path):
    assert fitted.training_warnings_ == []
    X, y = bishop(300)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = small(val_fraction=0.99).fit(X, y)
    assert [str(r.message) for r in record if r.category is mdn.TrainingWarning] == est.training_warnings_
    est.save(tmp_path / "w.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loading does not warn again
        loaded = mdn.load(tmp_path / "w.safetensors")
    assert loaded.training_warnings_ == est.training_warnings_
    assert any("training rows" in w for w in loaded.training_warnings_)
