"""Loads the extension with OpenMP's idle threads set to sleep.

The library's OpenMP runtime (libgomp, loaded with ``mdn._core``) reads
``OMP_WAIT_POLICY`` once, when it is loaded, and offers no call to change the
policy afterwards. Idle threads that spin instead of sleeping made training up
to 10x slower on a busy 2-core machine, so, like the ``mdn`` program, the
package asks for ``passive`` unless the user chose a policy.

Contract of :func:`load_core`:

- ``os.environ`` is never changed;
- a policy in ``os.environ`` (the user's) is left to OpenMP as it is;
- otherwise ``OMP_WAIT_POLICY=passive`` is put in the process environment
  (``os.putenv``) only while ``mdn._core`` and its libraries load, and taken
  out again right after, so child processes and libraries loaded later see
  the environment the user had.

It has no effect when the process has already loaded libgomp (through
another package) before ``mdn``: that runtime read its policy then.
"""

import importlib
import os

_VARIABLE = "OMP_WAIT_POLICY"


def load_core():
    """Imports and returns ``mdn._core`` (see the module's docstring)."""
    chosen = _VARIABLE in os.environ
    if not chosen:
        os.putenv(_VARIABLE, "passive")
    try:
        return importlib.import_module("._core", __package__)
    finally:
        if not chosen:
            os.unsetenv(_VARIABLE)
