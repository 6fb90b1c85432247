"""The package and the `mdn` program share model files and give the same numbers.

The program is found through MDN_EXE (default build/mdn, which
tools/scripts/test.sh builds); these tests skip when it is absent. Both sides
run on the CPU with the same thread count, where the library promises
bit-identical results.
"""

import csv
import json
import subprocess
import warnings

import numpy as np
import pytest

import mdn
from conftest import bishop, two_targets

pd = pytest.importorskip("pandas")

CPU = ["--device", "cpu"]


def run(exe, *args):
    done = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def write_csv(path, columns):
    """float32 values written as the exact double each one is (repr), so that
    mdn, which reads cells in double, sees the very values numpy holds."""
    names = list(columns)
    values = np.column_stack([np.asarray(columns[n], dtype=np.float32) for n in names])
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        w.writerows([[repr(float(v)) for v in row] for row in values])


def read_csv(path):
    return pd.read_csv(path)  # pandas' default parser reads doubles exactly


def compare_predictions(est, X, table, K, target_names, levels):
    """The CLI's predict output (table) against the estimator, exactly."""
    T = len(target_names)
    mean = est.predict(X).reshape(len(X), T)
    std = est.predict_std(X).reshape(len(X), T)
    q = est.predict_quantiles(X, levels).reshape(len(X), T, len(levels))
    alpha, mu, sigma = est.predict_mixture(X)
    for d, name in enumerate(target_names):
        np.testing.assert_array_equal(table[f"{name}_mean"].to_numpy(), mean[:, d])
        np.testing.assert_array_equal(table[f"{name}_std"].to_numpy(), std[:, d])
        for j, level in enumerate(levels):
            np.testing.assert_array_equal(table[f"{name}_q{level:g}"].to_numpy(), q[:, d, j])
    for k in range(K):
        # Weights are the network's float32 softmax, written as floats;
        # means and sigmas are doubles in original units.
        np.testing.assert_array_equal(table[f"alpha_{k + 1}"].to_numpy(np.float32), alpha[:, k].astype(np.float32))
        for d, name in enumerate(target_names):
            np.testing.assert_array_equal(table[f"mu_{k + 1}_{name}"].to_numpy(), mu[:, k, d])
            np.testing.assert_array_equal(table[f"sigma_{k + 1}_{name}"].to_numpy(), sigma[:, k, d])


def test_python_model_predicts_the_same_through_the_cli(tmp_path, mdn_exe):
    X, y = two_targets(1200, seed=6)
    X = X.astype(np.float32)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    targets = pd.DataFrame(y, columns=["u", "v"])
    est = mdn.MDNRegressor(components=3, hidden=(16, 16), epochs=6, device="cpu", random_state=2)
    est.fit(frame, targets)
    model = tmp_path / "py.safetensors"
    est.save(model)
    data = tmp_path / "x.csv"
    write_csv(data, {"c": X[:, 2], "a": X[:, 0], "b": X[:, 1]})  # columns are found by name
    out = tmp_path / "pred.csv"
    levels = [0.05, 0.5, 0.95]
    run(mdn_exe, "predict", "--model", model, "--data", data, "--out", out, "--params", "--quiet",
        "--quantiles", ",".join(map(str, levels)), *CPU)
    compare_predictions(est, frame, read_csv(out), 3, ["u", "v"], levels)

    # Samples: the same seed gives the same draws.
    out = tmp_path / "samples.csv"
    run(mdn_exe, "sample", "--model", model, "--data", data, "--samples", 4, "--seed", 7, "--out", out, "--quiet",
        *CPU)
    table = read_csv(out)
    draws = est.sample(frame, 4, random_state=7)
    np.testing.assert_array_equal(table["row"].to_numpy(), np.repeat(np.arange(len(X)), 4))
    np.testing.assert_array_equal(table[["u", "v"]].to_numpy(), draws.reshape(-1, 2))


def test_cli_model_predicts_the_same_through_python(tmp_path, mdn_exe):
    data = tmp_path / "bishop.csv"
    run(mdn_exe, "data", "bishop", "--rows", 1500, "--seed", 4, "--out", data)
    model = tmp_path / "cli.safetensors"
    run(mdn_exe, "train", "--data", data, "--target", "y", "--model", model, "--components", 4, "--hidden", "12,12",
        "--epochs", 8, "--seed", 5, "--quiet", *CPU)
    est = mdn.load(model, device="cpu")
    assert est.components == 4 and est.hidden == (12, 12) and est.n_iter_ == 8
    assert list(est.feature_names_in_) == ["x"]
    table = read_csv(data)
    X = table[["x"]]
    out = tmp_path / "pred.csv"
    levels = [0.1, 0.9]
    run(mdn_exe, "predict", "--model", model, "--data", data, "--out", out, "--params", "--quiet",
        "--quantiles", "0.1,0.9", *CPU)
    compare_predictions(est, X, read_csv(out), 4, ["y"], levels)

    # The same data, seed and settings train the same model in Python.
    again = mdn.MDNRegressor(components=4, hidden=(12, 12), epochs=8, device="cpu", random_state=5)
    again.fit(X.to_numpy(), table["y"].to_numpy())  # the doubles mdn read from the same text
    x = X.to_numpy()
    np.testing.assert_array_equal(again.predict_mixture(x)[0], est.predict_mixture(X)[0])
    np.testing.assert_array_equal(again.history_["val_nll"], est.history_["val_nll"])

    # eval's NLL is minus score(), its CRPS is crps() (the JSON has 10 digits).
    metrics = tmp_path / "m.json"
    run(mdn_exe, "eval", "--model", model, "--data", data, "--json", metrics, *CPU)
    metrics = json.loads(metrics.read_text())
    assert -est.score(X, table["y"]) == pytest.approx(metrics["nll"], rel=1e-8)
    assert est.crps(X, table["y"]) == pytest.approx(metrics["targets"][0]["crps"], rel=1e-8)


def test_weights_eval_set_and_warm_start_train_what_the_cli_trains(tmp_path, mdn_exe):
    """fit(sample_weight=, eval_set=) is `mdn train --weight --val-data`, and
    warm_start is `mdn train --init`: the same model bit for bit, with the
    same training warnings."""
    X, y = bishop(400, seed=8)
    w = np.random.default_rng(3).integers(0, 4, size=400)
    Xv, yv = bishop(15, seed=9)  # few validation rows: a training warning
    wv = np.arange(15) % 3 + 1
    data, val = tmp_path / "d.csv", tmp_path / "v.csv"
    write_csv(data, {"x": X[:, 0], "y": y, "w": w})
    write_csv(val, {"x": Xv[:, 0], "y": yv, "w": wv})
    table, vtable = read_csv(data), read_csv(val)  # the doubles mdn reads
    common = ["--target", "y", "--features", "x", "--weight", "w", "--components", 2, "--hidden", 8, "--seed", 3,
              "--epochs", 4, *CPU, "--quiet"]
    first = tmp_path / "first.safetensors"
    run(mdn_exe, "train", "--data", data, "--val-data", val, "--model", first, *common)
    cli = mdn.load(first, device="cpu")

    params = dict(components=2, hidden=(8,), epochs=4, device="cpu", random_state=3)
    with pytest.warns(mdn.TrainingWarning, match="only 15 validation rows"):
        ours = mdn.MDNRegressor(**params).fit(
            table[["x"]], table["y"], sample_weight=table["w"], eval_set=(vtable[["x"]], vtable["y"], vtable["w"])
        )
    x = table[["x"]]
    np.testing.assert_array_equal(np.concatenate([a.ravel() for a in ours.predict_mixture(x)]),
                                  np.concatenate([a.ravel() for a in cli.predict_mixture(x)]))
    np.testing.assert_array_equal(ours.history_["val_nll"], cli.history_["val_nll"])
    assert ours.training_warnings_ == cli.training_warnings_ and ours.training_warnings_

    # --init: both continue the first model on the data without the weights.
    second = tmp_path / "second.safetensors"
    run(mdn_exe, "train", "--data", data, "--init", first, "--model", second, "--target", "y", "--features", "x",
        "--seed", 4, "--epochs", 3, "--val-fraction", 0.2, *CPU, "--quiet")
    ours.set_params(warm_start=True, random_state=4, epochs=3, val_fraction=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mdn.TrainingWarning)
        ours.fit(table[["x"]], table["y"])
    again = mdn.load(second, device="cpu")
    assert ours.training_warnings_ == again.training_warnings_
    np.testing.assert_array_equal(np.concatenate([a.ravel() for a in ours.predict_mixture(x)]),
                                  np.concatenate([a.ravel() for a in again.predict_mixture(x)]))
    np.testing.assert_array_equal(ours.history_["train_nll"], again.history_["train_nll"])


def test_cli_model_with_a_category_loads_and_pickles_with_its_encoding(tmp_path, mdn_exe):
    """A model whose `mdn train` one-hot encoded a text column loads in Python
    with its encoded feature names, predicts from the encoded columns exactly
    as the CLI does from the raw ones, and keeps its encoding through a pickle."""
    import pickle

    rng = np.random.default_rng(3)
    species = rng.choice(["Adelie", "Gentoo", "Chinstrap"], 300)
    x = rng.random(300)
    y = x + 4.0 * (species == "Gentoo") + rng.normal(0, 0.2, 300)
    data = tmp_path / "pen.csv"
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x", "species", "y"])
        w.writerows([[repr(float(a)), s, repr(float(b))] for a, s, b in zip(x, species, y)])
    model = tmp_path / "m.safetensors"
    run(mdn_exe, "train", "--data", data, "--target", "y", "--model", model, "--epochs", 3, "--quiet", *CPU)
    est = mdn.load(model, device="cpu")
    names = ["x", "species=Adelie", "species=Chinstrap", "species=Gentoo"]
    assert list(est.feature_names_in_) == names
    X = np.column_stack([x] + [(species == s).astype(float) for s in ("Adelie", "Chinstrap", "Gentoo")])
    out = tmp_path / "p.csv"
    run(mdn_exe, "predict", "--model", model, "--data", data, "--out", out, "--quiet", *CPU)
    np.testing.assert_array_equal(read_csv(out)["y_mean"].to_numpy(), est.predict(pd.DataFrame(X, columns=names)))
    again = pickle.loads(pickle.dumps(est))
    resaved = tmp_path / "again.safetensors"
    again.save(resaved)
    info = json.loads(run(mdn_exe, "info", "--json", resaved).stdout)
    assert [i["name"] for i in info["inputs"]] == ["x", "species"]
    assert info["inputs"][1]["categories"] == ["Adelie", "Chinstrap", "Gentoo"]
