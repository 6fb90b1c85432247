"""mdn: Mixture Density Networks with the scikit-learn estimator API.

:class:`MDNRegressor` learns the whole conditional distribution p(y | x) as a
mixture of Gaussians whose weights, means and widths come from a tanh MLP;
:func:`load` reads a model file of the ``mdn`` command-line program. The work
runs in the project's C++ library (CPU, or CUDA when built with it and a GPU
is present), through the extension module ``mdn._core``.
"""

from ._openmp import load_core as _load_core

_core = _load_core()

from .distribution import MixtureDistribution  # noqa: E402
from .estimator import ExtrapolationWarning, MDNRegressor, TrainingWarning, load  # noqa: E402

#: The CMake project's version, compiled into the extension.
__version__ = _core.__version__
__all__ = ["ExtrapolationWarning", "MDNRegressor", "MixtureDistribution", "TrainingWarning", "load", "cuda_available"]


def cuda_available():
    """True when this build has the CUDA backend and a GPU is usable."""
    return _core.cuda_available()
