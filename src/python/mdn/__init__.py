"""mdn: Mixture Density Networks with the scikit-learn estimator API.

:class:`MDNRegressor` learns the whole conditional distribution p(y | x) as a
mixture of Gaussians whose weights, means and widths come from a tanh MLP;
:func:`load` reads a model file of the ``mdn`` command-line program. The work
runs in the project's C++ library (CPU, or CUDA when built with it and a GPU
is present), through the extension module ``mdn._core``.
"""

from . import _core
from .estimator import MDNRegressor, load

__version__ = "0.1.0"
__all__ = ["MDNRegressor", "load", "cuda_available"]


def cuda_available():
    """True when this build has the CUDA backend and a GPU is usable."""
    return _core.cuda_available()
