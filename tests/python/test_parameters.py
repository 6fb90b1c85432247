"""Every `mdn train` option is an MDNRegressor parameter, with the library's
default (as the number the header writes), stored as given, checked in fit
with a message naming it, and training what the CLI trains with the flag."""

import re

import numpy as np
import pytest
from sklearn.base import clone

import mdn
from mdn import _core
from conftest import REPO, bishop
from test_cli_interop import read_csv, run, write_csv

# Flags of `mdn train` that are not training options: the data, files,
# checkpoints and output, each done otherwise in Python (fit's arguments,
# save(), verbose); --seed is random_state. --weight and --val-data are fit's
# sample_weight and eval_set; --init is warm_start (continue the fitted model)
# or mdn.load(path).set_params(warm_start=True).
NOT_PARAMETERS = {
    "--data", "--target", "--features", "--model", "--drop-invalid", "--checkpoint-every", "--checkpoint",
    "--resume", "--progress", "--quiet", "--seed", "--weight", "--val-data", "--init",
    "--no-calibrate",  # calibrate=False
    "--no-cross-fit",  # cross_fit=False
    "--tune-log",  # the search log is tune_results_
}


def train_flags():
    """Every flag `mdn train` declares (tools/mdn/train_flags.cpp, cmd_train.cpp and the shared options)."""
    flags = set()
    for name in ("train_flags.cpp", "cmd_train.cpp"):
        flags |= set(re.findall(r'"(--[a-z0-9-]+)"', (REPO / "tools" / "mdn" / name).read_text()))
    return flags | {"--device", "--seed"}  # add_device_option, add_seed_option (options.cpp)


def test_every_train_flag_is_a_parameter():
    flags = train_flags()
    assert {"--lr", "--warmup", "--sigma-floor", "--quantised", "--tf32"} <= flags  # the sources were read
    parameters = set(mdn.MDNRegressor().get_params())
    missing = {f for f in flags - NOT_PARAMETERS if f[2:].replace("-", "_") not in parameters}
    assert not missing, f"mdn train flags without an MDNRegressor parameter: {sorted(missing)}"


def header_float_defaults():
    """{TrainOptions field: its default as the header writes it} for the float fields."""
    source = (REPO / "include" / "mdn" / "train_options.hpp").read_text()
    body = re.search(r"struct TrainOptions \{(.*?)\n\};", source, re.S).group(1)
    return {name: value for name, value in re.findall(r"float (\w+) = ([-0-9.e]+)f;", body)}


def test_defaults_are_the_library_defaults_as_written():
    params = mdn.MDNRegressor().get_params()
    table = _core._train_options_parameters()
    written = header_float_defaults()
    assert {"lr", "warmup_fraction", "val_fraction", "clip_norm"} <= set(written)
    for field, text in written.items():
        value = params[table[field]]
        assert type(value) is float, (field, value)
        # The decimal the header writes (0.002, not 0.0020000000949949026),
        # whose float is the one the library uses.
        assert value == float(text), (field, value, text)
        assert np.float32(value) == np.float32(text), field
    assert params["lr"] == 0.002 and repr(params["val_fraction"]) == "0.1"
    assert params["sigma_floor"] == 0.0001  # `mdn train --help`: --sigma-floor X (default 0.0001)
    assert params["schedule"] == "cosine" and params["steps"] == 0 and params["quantised"] is False
    for name in ("bootstrap", "tf32"):
        assert params[name] is False
    assert params["calibrate"] == "auto"  # `mdn train`: ensembles recalibrated, one network not


def test_parameters_are_kept_as_given():
    lr, noise = np.float32(0.01), [0.1]
    est = mdn.MDNRegressor(lr=lr, warmup=0.25, schedule="constant", input_noise=noise[0], steps=np.int64(500))
    params = est.get_params()
    assert params["lr"] is lr and params["warmup"] == 0.25 and params["schedule"] == "constant"
    assert type(params["steps"]) is np.int64
    assert clone(est).get_params()["lr"] is lr


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(steps=-1), "steps= must be at least 1, or 0"),
        (dict(steps=2.5), "steps must be an integer"),
        (dict(schedule="linear"), "schedule must be one of 'cosine', 'constant' \\(got 'linear'\\)"),
        (dict(schedule="Cosine"), "schedule must be one of"),
        (dict(warmup=0.7), "warmup= must be in \\[0, 0.5\\] \\(got 0.7\\)"),
        (dict(warmup="0.1"), "warmup must be a number"),
        (dict(min_lr=1.5), "min_lr= must be in \\[0, 1\\]"),
        (dict(weight_decay=-0.1), "weight_decay= must be >= 0"),
        (dict(input_noise=-2.0), "input_noise= and target_noise= must be >= 0, or -1"),
        (dict(target_noise=np.nan), "target_noise= must be >= 0, or -1|input_noise= and target_noise="),
        (dict(weight_average=1.5), "weight_average= must be in \\[0, 1\\], or -1"),
        (dict(calibrate="yes"), "calibrate must be True, False or \"auto\" \\(got 'yes'\\)"),
        (dict(calibrate=None), "calibrate must be True, False or \"auto\""),
        (dict(bootstrap=1), "bootstrap must be True or False"),
        (dict(quantised=None), "quantised must be True or False"),
        (dict(tf32="false"), "tf32 must be True or False"),
        (dict(sigma_floor=0.0), "sigma_floor= must be in \\(0, 1\\) \\(got 0\\)"),
        (dict(sigma_floor=1.0), "sigma_floor= must be in \\(0, 1\\)"),
        (dict(lr=np.inf), "lr= .*positive number"),
        (dict(epochs=2**40), "epochs must be an integer of at most 32 bits"),
        (dict(device="CPU"), "device must be one of 'auto', 'cpu', 'cuda' \\(got 'CPU'\\)"),
        (dict(device=" cpu"), "device must be one of 'auto', 'cpu', 'cuda'"),
        (dict(device="cuda:0"), "device must be one of 'auto', 'cpu', 'cuda'"),
        (dict(device=None), "device must be one of 'auto', 'cpu', 'cuda' \\(got None\\)"),
        (dict(random_state="seven"), "random_state must be None, an int"),
        (dict(target_transform="lgo"), "target_transform= target transform 'lgo' is not one of .*did you mean log\\?"),
        (dict(target_transform=3), "target_transform must be"),
        (dict(covariance="Full"), "covariance must be one of 'diagonal', 'full' \\(got 'Full'\\)"),
        (dict(covariance="full"), 'covariance="full" needs at least 2 target columns'),
    ],
)
def test_bad_parameters_are_value_errors_naming_them(params, message):
    X, y = bishop(100)
    est = mdn.MDNRegressor(**{"epochs": 1, "device": "cpu", "hidden": (4,), **params})
    with pytest.raises(ValueError, match=message):
        est.fit(X, y)
    assert not hasattr(est, "model_")


def test_device_is_checked_when_predicting_and_loading(fitted, tmp_path):
    est = clone(fitted)
    est.__dict__.update({k: v for k, v in fitted.__dict__.items() if k.endswith("_")})
    est.set_params(device="GPU")
    with pytest.raises(ValueError, match="device must be one of 'auto', 'cpu', 'cuda' \\(got 'GPU'\\)"):
        est.predict(np.zeros((2, 1)))
    path = tmp_path / "m.safetensors"
    fitted.save(path)
    with pytest.raises(ValueError, match="device must be one of"):
        mdn.load(path, device="gpu0")


def test_sigma_floor_bounds_every_sigma():
    X, y = bishop(400, seed=3)
    est = mdn.MDNRegressor(components=3, hidden=(8,), epochs=3, sigma_floor=0.3, device="cpu", random_state=0)
    _, _, sigma = est.fit(X, y).predict_mixture(X)
    # In target standard deviations of the training split (the model's statistics).
    assert sigma.min() >= 0.3 * 0.9 * y.std()


def test_quantised_detects_the_grid_of_each_target():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = np.column_stack([np.round(3 * X[:, 0]), X[:, 1] + 0.1 * rng.normal(size=300)])
    kw = dict(components=2, hidden=(8,), epochs=2, device="cpu", random_state=0)
    est = mdn.MDNRegressor(quantised=True, **kw).fit(X, y)
    assert est.model_.grid_step == pytest.approx([1.0, 0.0])
    assert mdn.MDNRegressor(**kw).fit(X, y).model_.grid_step == []
    # No target on a grid: training as usual.
    assert mdn.MDNRegressor(quantised=True, **kw).fit(X, y[:, 1]).model_.grid_step == []


# ---- each option trains what `mdn train` trains with its flag ----------------------

CASES = [
    ({"steps": 80, "epochs": 0}, ["--steps", 80, "--epochs", 0]),
    ({"schedule": "constant"}, ["--schedule", "constant"]),
    ({"warmup": 0.3}, ["--warmup", 0.3]),
    ({"min_lr": 0.25}, ["--min-lr", 0.25]),
    ({"weight_decay": 0.01}, ["--weight-decay", 0.01]),
    ({"input_noise": 0.1, "target_noise": 0.05}, ["--input-noise", 0.1, "--target-noise", 0.05]),
    ({"weight_average": 0.5}, ["--weight-average", 0.5]),
    # Heavy target noise makes the 4-epoch model over-dispersed: the map has something to fix.
    ({"calibrate": True, "target_noise": 1.0}, ["--calibrate", "--target-noise", 1.0]),
    ({"ensemble": 2, "bootstrap": True}, ["--ensemble", 2, "--bootstrap"]),
    ({"sigma_floor": 0.6}, ["--sigma-floor", 0.6]),
    ({"quantised": True}, ["--quantised"]),
]


def mixture(est, x):
    """alpha, mu and sigma of every row, flat."""
    return np.concatenate([a.ravel() for a in est.predict_mixture(x)])


@pytest.mark.parametrize("params, flags", CASES, ids=[next(iter(p)) for p, _ in CASES])
def test_each_option_trains_what_the_cli_trains(tmp_path, mdn_exe, params, flags):
    X, y = bishop(2000, seed=8)  # 200 validation rows: --calibrate needs 50, a 10-bin map 160
    if "quantised" in params:
        y = np.round(y * 20) / 20
    data = tmp_path / "d.csv"
    write_csv(data, {"x": X[:, 0], "y": y})
    table = read_csv(data)
    x, t = table[["x"]].to_numpy(), table["y"].to_numpy()  # the doubles mdn reads
    model = tmp_path / "cli.safetensors"
    common = dict(components=2, hidden=(8,), epochs=4, device="cpu", random_state=3)
    epochs = [] if "--epochs" in flags else ["--epochs", 4]
    run(mdn_exe, "train", "--data", data, "--target", "y", "--model", model, "--components", 2, "--hidden", 8,
        "--seed", 3, "--device", "cpu", "--quiet", *epochs, *flags)
    cli = mdn.load(model, device="cpu")
    ours = mdn.MDNRegressor(**{**common, **params}).fit(x, t)
    plain = mdn.MDNRegressor(**common).fit(x, t)
    np.testing.assert_array_equal(mixture(ours, x), mixture(cli, table[["x"]]))  # cli: fitted with names
    np.testing.assert_array_equal(ours.history_["train_nll"], cli.history_["train_nll"])
    assert ours.model_.grid_step == cli.model_.grid_step
    np.testing.assert_array_equal(ours.recalibration_, cli.recalibration_)
    # ... and the option changes the model (calibrate: its distribution, through the PIT map).
    if "calibrate" in params:
        uncalibrated = mdn.MDNRegressor(**{**common, **params, "calibrate": False}).fit(x, t)
        assert len(ours.recalibration_[0]) > 2 and uncalibrated.recalibration_ == []
        levels = (0.1, 0.9)
        assert not np.array_equal(ours.predict_quantiles(x, levels), uncalibrated.predict_quantiles(x, levels))
    else:
        assert not np.array_equal(mixture(ours, x), mixture(plain, x))


def test_the_docstring_documents_every_parameter_with_its_default():
    documented = dict(re.findall(r"\n    (\w+) : [^\n]*?default=([^\n]+)", mdn.MDNRegressor.__doc__))
    params = mdn.MDNRegressor().get_params()
    assert sorted(documented) == sorted(params)
    for name, value in params.items():
        assert documented[name] == (f'"{value}"' if isinstance(value, str) else repr(value)), name
