"""MDNRegressor(tune=N): the model search before fit's training
(docs/TRAINING.md, "Model search"), its log as tune_results_, and what it
refuses."""

import json

import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_estimator

import mdn
from conftest import bishop
from test_sklearn_checks import EXPECTED_FAILED_CHECKS


def test_tune_results_hold_every_trial_and_the_model_is_the_best():
    X, y = bishop(400, seed=3)
    est = mdn.MDNRegressor(tune=5, epochs=10, device="cpu", random_state=2).fit(X, y)
    assert isinstance(est.tune_results_, list) and len(est.tune_results_) == 5
    recipe = est.tune_results_[0]
    assert recipe["trial"] == 0
    assert recipe["config"]["components"] == 5 and recipe["config"]["width"] == 50
    assert recipe["eliminated_after_rung"] is None
    for t in est.tune_results_:
        assert set(t) >= {"trial", "config", "rungs", "mean_score", "eliminated_after_rung", "seconds"}
        assert t["rungs"] and all("split_scores" in r and "budget" in r for r in t["rungs"])
    best = est.tune_best_
    assert best["config"] == est.tune_results_[best["trial"]]["config"]
    assert est.model_.components == best["config"]["components"]
    assert len(est.model_.hidden) == best["config"]["depth"]
    assert json.loads(est.model_.tuning)["best_trial"] == best["trial"]
    # The parameters are kept as given (the recipe), not the search's choice.
    assert est.get_params()["components"] == 5


def test_tune_is_deterministic_and_off_by_default():
    X, y = bishop(300, seed=4)
    a = mdn.MDNRegressor(tune=4, epochs=8, device="cpu", random_state=5).fit(X, y)
    b = mdn.MDNRegressor(tune=4, epochs=8, device="cpu", random_state=5).fit(X, y)
    assert a.tune_results_[1]["config"] == b.tune_results_[1]["config"]
    assert a.tune_best_ == b.tune_best_
    np.testing.assert_array_equal(a.predict(X[:20]), b.predict(X[:20]))
    plain = mdn.MDNRegressor(epochs=5, device="cpu", random_state=5).fit(X, y)
    assert plain.tune_results_ is None and plain.tune_best_ is None and plain.model_.tuning == ""


@pytest.mark.parametrize(
    "params, words",
    [({"tune": -1}, "tune must be 0"), ({"tune": 1.5}, "tune must be an integer"),
     ({"tune": 3, "tune_time": 0}, "tune_time must be None or a number of seconds > 0"),
     ({"tune": 3, "tune_time": "1"}, "tune_time must be a number"),
     ({"tune": 3, "tune_folds": "sorted"}, "tune_folds must be one of 'random', 'ordered'")],
)
def test_bad_tune_parameters_name_themselves(params, words):
    X, y = bishop(100)
    with pytest.raises(ValueError, match=words):
        mdn.MDNRegressor(epochs=2, device="cpu", **params).fit(X, y)


def test_ordered_folds_are_the_blocked_split():
    """tune_folds="ordered": the model's tuning record says blocked folds,
    and the search differs from random folds' on the same rows."""
    X, y = bishop(300, seed=6)
    ordered = mdn.MDNRegressor(tune=3, epochs=6, tune_folds="ordered", device="cpu", random_state=1).fit(X, y)
    random = mdn.MDNRegressor(tune=3, epochs=6, device="cpu", random_state=1).fit(X, y)
    assert "blocked" in json.loads(ordered.model_.tuning)["validation"]
    assert "blocked" not in json.loads(random.model_.tuning)["validation"]
    assert ordered.tune_results_[0]["rungs"][0]["split_scores"] != random.tune_results_[0]["rungs"][0]["split_scores"]


def test_too_few_rows_for_the_folds():
    X, y = bishop(9)
    with pytest.raises(ValueError, match="fewer than 2 per fold"):
        mdn.MDNRegressor(tune=3, epochs=2, device="cpu").fit(X, y)


def test_a_tuning_estimator_passes_check_estimator():
    check_estimator(mdn.MDNRegressor(tune=2, epochs=3, device="cpu", random_state=0),
                    expected_failed_checks=EXPECTED_FAILED_CHECKS)
