"""mdn: Mixture Density Networks with the scikit-learn estimator API.

:class:`MDNRegressor` learns the whole conditional distribution p(y | x) as a
mixture of Gaussians whose weights, means and widths come from a tanh MLP;
:func:`load` reads a model file of the ``mdn`` command-line program. The work
runs in the project's C++ library (CPU, or CUDA when built with it and a GPU
is present), through the extension module ``mdn._core``.
"""

import os

# As the mdn program does: idle OpenMP threads sleep instead of spinning
# (spinning made training up to 10x slower on a busy 2-core machine). libgomp
# reads this once, when _core loads it; a value set by the user is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from . import _core  # noqa: E402
from .estimator import MDNRegressor, load  # noqa: E402

#: The CMake project's version, compiled into the extension.
__version__ = _core.__version__
__all__ = ["MDNRegressor", "load", "cuda_available"]


def cuda_available():
    """True when this build has the CUDA backend and a GPU is usable."""
    return _core.cuda_available()
