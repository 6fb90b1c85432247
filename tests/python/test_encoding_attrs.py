"""The estimator shows a model's feature encoding as ``mdn info`` does.

A model trained by the command line on a file with a date, a category and
a number with missing cells: ``feature_encoding_``, ``feature_ranges_`` and
``target_names_`` of the loaded estimator equal the "inputs", the features'
min/max and the targets of ``mdn info --json`` (an independent reader of
the same file). A model fitted in Python reads numbers only: its encoding
lists plain numbers, and a DataFrame with a text or date column is refused
with a message naming the columns.
"""
import json
import subprocess

import numpy as np
import pytest

import mdn

pd = pytest.importorskip("pandas")


def run(exe, *args):
    done = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def encoded_csv(path, rows=300):
    rng = np.random.default_rng(3)
    lines = ["when,kind,x,y"]
    for i in range(rows):
        x = "" if i % 17 == 0 else f"{rng.uniform():.4f}"
        lines.append(f"2024-0{1 + i % 9}-1{i % 9} 0{i % 10}:00,{'abc'[i % 3]},{x},{rng.uniform() + i % 3:.4f}")
    path.write_text("\n".join(lines) + "\n")


def test_a_cli_models_encoding_matches_mdn_info(tmp_path, mdn_exe):
    data, model = tmp_path / "enc.csv", tmp_path / "enc.safetensors"
    encoded_csv(data)
    run(mdn_exe, "train", "--data", data, "--target", "y", "--model", model, "--epochs", 1, "--device", "cpu",
        "--quiet")
    info = json.loads(run(mdn_exe, "info", model, "--json"))
    est = mdn.load(model, device="cpu")
    assert est.feature_encoding_ == info["inputs"]
    kinds = {c["name"]: c["type"] for c in est.feature_encoding_}
    assert kinds == {"when": "date", "kind": "category", "x": "number"}
    assert est.feature_ranges_ == {f["name"]: (f["min"], f["max"]) for f in info["features"]}
    assert list(est.feature_ranges_) == list(est.feature_names_in_)
    assert est.target_names_ == [t["name"] for t in info["targets"]]


def test_a_python_model_reads_numbers():
    X = pd.DataFrame({"a": np.linspace(0, 1, 200), "b": np.linspace(-2, 5, 200) ** 2})
    est = mdn.MDNRegressor(epochs=1, components=2, hidden=(8,), device="cpu", random_state=0).fit(X, X["a"] * 2)
    assert est.feature_encoding_ == [{"name": "a", "type": "number", "had_missing": False},
                                     {"name": "b", "type": "number", "had_missing": False}]
    # The training split's rows (the validation rows are left out of the ranges).
    assert list(est.feature_ranges_) == ["a", "b"]
    for name, (lo, hi) in est.feature_ranges_.items():
        assert X[name].min() <= lo < hi <= X[name].max()
        assert hi - lo > 0.9 * (X[name].max() - X[name].min())


def test_text_and_date_columns_are_refused_by_name():
    X = pd.DataFrame({"x": np.linspace(0, 1, 400), "kind": ["a", "b"] * 200,
                      "when": pd.to_datetime(["2024-01-01"] * 400)})
    with pytest.raises(ValueError, match=r"not numbers: 'kind' \(.*\), 'when' \(datetime64") as e:
        mdn.MDNRegressor(epochs=1, device="cpu").fit(X, np.linspace(0, 1, 400))
    assert "mdn train" in str(e.value)
    fitted = mdn.MDNRegressor(epochs=1, components=2, hidden=(8,), device="cpu").fit(X[["x"]], X["x"] * 2)
    with pytest.raises(ValueError, match="not numbers: 'kind'"):
        fitted.predict(X[["x", "kind"]])
