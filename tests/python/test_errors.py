"""The library names option fields (TrainOptions::batch_size); the package
names its parameters (batch_size=). mdn._core's exception translator rewrites
every message through _core._python_words; these tests check that function,
its table against the library's header and the estimator, and one error end
to end."""

import re

import numpy as np
import pytest

import mdn
from mdn import _core
from conftest import REPO, bishop


@pytest.mark.parametrize(
    "library, python",
    [
        ("TrainOptions::batch_size must be at least 1, or 0 for automatic (got -1)",
         "batch_size= must be at least 1, or 0 for automatic (got -1)"),
        ("TrainOptions::seed is out of range", "random_state= is out of range"),
        ("TrainOptions::ensemble must be 1 to 64 (got 0)", "ensemble= must be 1 to 64 (got 0)"),
        # Fields the estimator does not expose keep their plain name.
        ("TrainOptions::checkpoint_every must be >= 0", "checkpoint_every must be >= 0"),
        ("TrainOptions::max_rollbacks must be >= 0", "max_rollbacks must be >= 0"),
        # Fields set by a parameter of another name (the CLI flag's).
        ("TrainOptions::warmup_fraction must be in [0, 0.5]", "warmup= must be in [0, 0.5]"),
        ("TrainOptions::min_lr_fraction must be in [0, 1]", "min_lr= must be in [0, 1]"),
        ("a grid step (TrainOptions::grid_steps) must be >= 0", "a grid step (quantised=) must be >= 0"),
        # A field the table does not know (yet): its plain name.
        ("TrainOptions::new_field is bad", "new_field is bad"),
        # Several in one message, at its start, middle and end.
        ("TrainOptions::epochs and TrainOptions::lr clash with TrainOptions::patience",
         "epochs= and lr= clash with patience="),
        # TrainHooks fields the package sets: fit's eval_set, the warm_start parameter.
        ("the validation data (TrainHooks::validation) has no rows", "the validation data (eval_set) has no rows"),
        ("TrainHooks::init_model and TrainHooks::resume_state cannot be given together",
         "warm_start= and resume_state cannot be given together"),
        ("TrainHooks::validation, then TrainOptions::lr", "eval_set, then lr="),
        ("MyTrainHooks::validation, TrainHooks:: (no field)", "MyTrainHooks::validation, TrainHooks:: (no field)"),
        # Nothing else changes.
        ("device cuda or auto needs a GPU", "device cuda or auto needs a GPU"),
        ("MyTrainOptions::batch_size, TrainOptions:: (no field)", "MyTrainOptions::batch_size, TrainOptions:: (no field)"),
        ("", ""),
    ],
)
def test_python_words(library, python):
    assert _core._python_words(library) == python


def train_options_fields():
    """The data members of mdn::TrainOptions, as include/mdn/train_options.hpp declares them."""
    source = (REPO / "include" / "mdn" / "train_options.hpp").read_text()
    body = re.search(r"struct TrainOptions \{(.*?)\n\};", source, re.S).group(1)
    body = re.sub(r"//[^\n]*", "", body)
    return re.findall(r"(\w+)\s*(?:=[^;]*)?;", body)


def test_the_table_covers_every_train_options_field_and_names_real_parameters():
    table = _core._train_options_parameters()
    fields = train_options_fields()
    assert "batch_size" in fields and "checkpoint_every" in fields  # the header was read
    assert sorted(table) == sorted(fields), "a TrainOptions field is missing from ext/errors.cpp's table"
    parameters = set(mdn.MDNRegressor().get_params())
    for field, parameter in table.items():
        assert parameter is None or parameter in parameters, (field, parameter)
        if field in parameters:  # a field the estimator sets under its own name
            assert parameter == field, field
    assert table["seed"] == "random_state"


@pytest.mark.parametrize(
    "params, parameter, plain",
    [
        ({"batch_size": -1}, "batch_size", "batch size"),
        ({"ensemble": 0}, "ensemble", "ensemble size"),
        ({"epochs": -1}, "epochs", "epochs"),
    ],
)
def test_library_errors_reach_python_in_its_words(params, parameter, plain):
    """A bad parameter the estimator passes on unchecked: the library refuses it,
    and the ValueError names the parameter as Python spells it (or in plain
    words), never as TrainOptions::FIELD."""
    X, y = bishop(200)
    with pytest.raises(ValueError) as error:
        mdn.MDNRegressor(components=2, hidden=(8,), device="cpu", random_state=0, **params).fit(X, y)
    message = str(error.value)
    assert "TrainOptions::" not in message, message
    assert f"{parameter}=" in message or plain in message, message
