"""scikit-learn's own estimator test suite, run on MDNRegressor.

Every check of sklearn.utils.estimator_checks runs; none is expected to fail
(expected_failed_checks is empty). Small networks and few epochs keep it fast.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

import mdn


def small_regressor():
    return mdn.MDNRegressor(components=2, hidden=(8,), epochs=3, batch_size=32, device="cpu")


@parametrize_with_checks([small_regressor()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
