"""Checks of the arguments the package passes to the library.

scikit-learn's convention: parameters are stored as given and checked when
they are used (``fit``, a prediction), each failure a ValueError that names
the parameter, says what it takes and repeats what it got. These functions
check the kind of each value (an integer, a number, a flag, one of some
words) and convert it to what the library's binding takes; the ranges are the
library's to check (its messages reach Python in the package's words, e.g.
``warmup= must be in [0, 0.5] (got 0.7)``), so that the estimator and
``mdn train`` refuse the same values with the same explanation.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

#: The device names the package accepts (the library's, spelled as documented).
DEVICES = ("auto", "cpu", "cuda")


def integer(name, value, bits=32):
    """A Python int from an integral value (not a bool) that fits a signed
    `bits`-bit integer, the library's type for the field."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer (got {value!r})")
    value = int(value)
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise ValueError(f"{name} must be an integer of at most {bits} bits (got {value})")
    return value


def number(name, value):
    """A Python float from a real number (not a bool); NaN and infinity pass
    through to the library, which refuses them where they make no sense."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number (got {value!r})")
    return float(value)


def flag(name, value):
    """True or False (numpy's bools too); anything else is refused, so that a
    string such as "false" never reads as True."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False (got {value!r})")
    return bool(value)


def choice(name, value, accepted):
    """One of the words in `accepted`, exactly (no case folding, no spaces)."""
    if not isinstance(value, str) or value not in accepted:
        listed = ", ".join(repr(a) for a in accepted)
        raise ValueError(f"{name} must be one of {listed} (got {value!r})")
    return value


def device(value):
    return choice("device", value, DEVICES)


def seed(random_state, name="random_state"):
    """The library's 64-bit seed: an int is used as it is (so random_state=S
    matches the command line's seed S); None or a RandomState draws one."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, (bool, np.bool_)):
        if random_state < 0 or random_state >= 2**64:
            raise ValueError(f"{name} must be in [0, 2**64) (got {random_state})")
        return int(random_state)
    try:
        rng = check_random_state(random_state)
    except ValueError:
        raise ValueError(
            f"{name} must be None, an int in [0, 2**64) or a numpy RandomState (got {random_state!r})"
        ) from None
    return int(rng.randint(0, np.iinfo(np.int32).max))
