"""The scikit-learn estimator over the C++ library (``mdn._core``)."""

from __future__ import annotations

import errno
import os
import sys

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _core, _params
from .distribution import MixtureDistribution

__all__ = ["MDNRegressor", "load"]

# The dtypes the library reads directly (one conversion into its float64
# row-major buffer, done in C++); anything else is converted by numpy first.
_DTYPES = (np.float32, np.float64)


# The library's defaults (mdn::ModelSpec, mdn::TrainOptions), the single
# source of every training default: the estimator trains what `mdn train`
# trains. Float defaults arrive as the shortest decimal of the library's
# float (0.002, not 0.0020000000949949026; docs/PYTHON.md).
_DEFAULTS = _core.FitArgs()

# Learning-rate schedules (`mdn train --schedule`).
_SCHEDULES = ("cosine", "constant")


def _as_float(a):
    """float32/float64 arrays pass unchanged (no copy); others become float64
    (an int64 timestamp keeps its last digits, which float32 would round away)."""
    return a if a.dtype in _DTYPES else np.asarray(a, dtype=np.float64)


def _target_names(y, n_targets):
    columns = getattr(y, "columns", None)  # a DataFrame
    if columns is not None and len(columns) == n_targets:
        return [str(c) for c in columns]
    name = getattr(y, "name", None)  # a Series
    if n_targets == 1 and isinstance(name, str) and name:
        return [name]
    return ["y"] if n_targets == 1 else [f"y{i}" for i in range(n_targets)]


def _progress(epoch, epochs, train_nll, val_nll, improved, samples_per_second, elapsed, left):
    def clock(seconds):
        s = int(round(seconds))
        return f"{s // 60}:{s % 60:02d}"

    if np.isnan(val_nll):
        line = f"epoch {epoch}/{epochs}  train NLL {train_nll:.4f}"
    else:
        line = f"epoch {epoch}/{epochs}  train NLL {train_nll:.4f}  val NLL {val_nll:.4f}{' *' if improved else '  '}"
    print(f"{line}  {samples_per_second:.0f} samples/s  elapsed {clock(elapsed)}  left ~{clock(left)}",
          file=sys.stderr, flush=True)


class MDNRegressor(RegressorMixin, BaseEstimator):
    """Mixture Density Network regressor: the whole conditional distribution p(y | x).

    A tanh MLP maps x to a mixture of ``components`` Gaussians over y (diagonal
    covariance for several targets). ``predict`` gives the predictive mean;
    the other ``predict_*`` methods, ``sample``, ``score``, ``score_samples``,
    ``cdf`` and ``crps`` use the whole distribution, and ``predict_dist``
    returns it as an object (:class:`MixtureDistribution`). Everything runs in
    the C++ library that the ``mdn`` command-line program runs (CPU, or CUDA
    when available), with the GIL released; model files are the CLI's
    ``.safetensors`` files.

    Parameters
    ----------
    components : int, default=5
        Number K of mixture components, 1 to 32 (``--components``).
    hidden : tuple of int, default=(50, 50)
        Widths of the hidden tanh layers (``--hidden``).
    epochs : int, default=0
        Number of passes over the training rows; 0 = from the step budget
        ``steps`` (small data gets enough optimizer steps; docs/TRAINING.md).
    steps : int, default=0
        Optimizer-step budget when ``epochs`` is 0; 0 = automatic (training
        rows / 2, within 10,000 to 100,000, and at least 10 epochs).
    batch_size : int, default=0
        Minibatch size; 0 = automatic (training rows / 256 as a power of two,
        32 to 1024).
    lr : float, default=0.002
        Peak Adam learning rate.
    schedule : {"cosine", "constant"}, default="cosine"
        Learning-rate schedule: linear warm-up then cosine decay, or ``lr``
        throughout.
    warmup : float, default=0.02
        Fraction of the steps spent warming the rate up from 0 (cosine), 0
        to 0.5 (``--warmup``).
    min_lr : float, default=0.0
        The last step's rate as a fraction of ``lr`` (cosine), 0 to 1
        (``--min-lr``).
    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW); 0 = off.
    input_noise : float, default=-1.0
        Standard deviation of the Gaussian noise added to the standardised
        features every epoch; 0 = off, -1 = automatic (by training rows).
    target_noise : float, default=-1.0
        The same for the standardised targets.
    weight_average : float, default=-1.0
        Keep a moving average of the weights over this fraction of the
        planned epochs, 0 to 1; validation scores it and it is the model. 0 =
        off, -1 = automatic (0.05 up to 30,000 training rows, 0 from 60,000).
    val_fraction : float, default=0.1
        Fraction of the rows held out to pick the best epoch and stop early,
        in [0, 1); 0 trains on every row for the planned epochs.
    patience : int, default=-1
        Stop after this many epochs without a better validation NLL (0: never;
        -1: automatic, half the planned epochs, a quarter below 1,000 training
        rows, and at least 10).
    clip_norm : float, default=10.0
        Clip the global gradient norm to this value (0: off).
    calibrate : bool, default=False
        After training, fit a per-target scale of the sigmas on the
        validation rows by NLL and fold it into the model (nothing to fit
        without validation rows: the model stays as trained).
    ensemble : int, default=1
        Number M of networks trained from different seeds (a deep ensemble,
        ``mdn train --ensemble``); the model is the equal-weight mixture of
        their mixtures, M * ``components`` components, which every method
        below reads (so ``predict_mixture`` and the mode and region arrays
        have M * ``components`` entries per row). Members train one after
        another here (Ctrl-C is checked after every epoch on Python's main
        thread); ``mdn train`` trains them side by side where cores allow.
    bootstrap : bool, default=False
        Ensembles: every member after the first trains on its own bootstrap
        resample of the training rows.
    quantised : bool, default=False
        Targets on a grid (integers, rounded values): train on the grid
        cells' probability, not the density at the points. The grid of each
        target is detected from y as ``mdn train --quantised`` does; a target
        that sits on no grid trains as usual.
    sigma_floor : float, default=0.0001
        Smallest component sigma, in target standard deviations, in (0, 1)
        (the model's lower sigma bound, ``--sigma-floor``).
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where the library computes: "auto" is the GPU when one is usable,
        otherwise the CPU. "cuda" without a GPU raises RuntimeError.
    tf32 : bool, default=False
        Allow TF32 tensor-core math on the GPU (faster, less exact).
    random_state : int, RandomState instance or None, default=None
        Seeds the split, initialisation and minibatch order. An int is the
        library's seed itself: the same int, data and thread count give the
        same model as ``mdn train --seed`` on the CPU.
    verbose : bool, default=False
        Print one progress line per epoch on stderr, as ``mdn train`` does
        (NLL per row in original target units).

    Every parameter but ``verbose`` is the ``mdn train`` option of the same
    name (``--batch-size`` is ``batch_size``), with the library's default.
    Parameters are stored as given (``get_params`` returns them unchanged)
    and checked in ``fit``: their kind here, their range by the library,
    whose messages name the parameter (``warmup= must be in [0, 0.5]``).

    Attributes
    ----------
    model_ : mdn._core.Model
        The trained network, its standardisation statistics and history.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of X when it was a DataFrame with string column names.
    n_targets_ : int
        Number of target columns T.
    history_ : dict
        ``train_nll`` and ``val_nll`` (ndarray per epoch, mean NLL per row in
        original target units; ``val_nll`` is empty without a validation
        split) and ``best_epoch`` (1-based, the epoch whose weights were kept).
    n_iter_ : int
        Number of epochs run.
    device_ : str
        The backend that trained the model, e.g. ``"cpu (2 threads)"``.

    Notes
    -----
    Inputs: float32 and float64 arrays (C or Fortran order, or strided) are
    read once by the library into its own float64 row-major buffer (the one
    copy it needs); other dtypes are converted to float64 by numpy first. X and
    y are standardised in double precision inside ``fit`` with the training
    split's statistics, which are stored in the model, and only then rounded
    to float32 for the network; every output is in original units, float64.

    Interrupting ``fit`` (Ctrl-C) stops training at the end of the current
    epoch and raises KeyboardInterrupt; the estimator is left exactly as it
    was before the call (unfitted, or with its previous fit). The same holds
    for any other error in ``fit``.

    Examples
    --------
    >>> import numpy as np, mdn
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(2000, 1))
    >>> y = np.sin(3 * X[:, 0]) + 0.1 * rng.normal(size=2000)
    >>> model = mdn.MDNRegressor(components=3, epochs=20, random_state=0).fit(X, y)
    >>> model.predict_quantiles(X[:5], [0.05, 0.95]).shape
    (5, 2)
    """

    def __init__(
        self,
        components=_DEFAULTS.components,
        hidden=tuple(_DEFAULTS.hidden),
        *,
        epochs=_DEFAULTS.epochs,
        steps=_DEFAULTS.steps,
        batch_size=_DEFAULTS.batch_size,
        lr=_DEFAULTS.lr,
        schedule=_DEFAULTS.schedule,
        warmup=_DEFAULTS.warmup,
        min_lr=_DEFAULTS.min_lr,
        weight_decay=_DEFAULTS.weight_decay,
        input_noise=_DEFAULTS.input_noise,
        target_noise=_DEFAULTS.target_noise,
        weight_average=_DEFAULTS.weight_average,
        val_fraction=_DEFAULTS.val_fraction,
        patience=_DEFAULTS.patience,
        clip_norm=_DEFAULTS.clip_norm,
        calibrate=_DEFAULTS.calibrate,
        ensemble=_DEFAULTS.ensemble,
        bootstrap=_DEFAULTS.bootstrap,
        quantised=_DEFAULTS.quantised,
        sigma_floor=_DEFAULTS.sigma_floor,
        device=_DEFAULTS.device,
        tf32=_DEFAULTS.tf32,
        random_state=None,
        verbose=False,
    ):
        self.components = components
        self.hidden = hidden
        self.epochs = epochs
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.schedule = schedule
        self.warmup = warmup
        self.min_lr = min_lr
        self.weight_decay = weight_decay
        self.input_noise = input_noise
        self.target_noise = target_noise
        self.weight_average = weight_average
        self.val_fraction = val_fraction
        self.patience = patience
        self.clip_norm = clip_norm
        self.calibrate = calibrate
        self.ensemble = ensemble
        self.bootstrap = bootstrap
        self.quantised = quantised
        self.sigma_floor = sigma_floor
        self.device = device
        self.tf32 = tf32
        self.random_state = random_state
        self.verbose = verbose

    # ---- scikit-learn plumbing -------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = True
        tags.input_tags.allow_nan = False
        # score() is the mean log-likelihood, not R^2: the R^2 > 0.5 bar of the
        # common tests does not apply to it.
        tags.regressor_tags.poor_score = True
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    def _fit_args(self):
        """The parameters checked and converted for the library (_core.FitArgs)."""
        p = _params
        args = _core.FitArgs()
        args.components = p.integer("components", self.components)
        hidden = self.hidden
        if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, (bool, np.bool_)):
            hidden = (hidden,)
        if isinstance(hidden, str):
            raise ValueError(f"hidden must be a sequence of layer widths (got {self.hidden!r})")
        try:
            args.hidden = [p.integer("hidden", w) for w in hidden]
        except TypeError:
            raise ValueError(f"hidden must be a sequence of layer widths (got {self.hidden!r})") from None
        for name in ("epochs", "batch_size", "patience", "ensemble"):
            setattr(args, name, p.integer(name, getattr(self, name)))
        args.steps = p.integer("steps", self.steps, bits=64)
        for name in ("lr", "warmup", "min_lr", "weight_decay", "input_noise", "target_noise", "weight_average",
                     "val_fraction", "clip_norm", "sigma_floor"):
            setattr(args, name, p.number(name, getattr(self, name)))
        args.schedule = p.choice("schedule", self.schedule, _SCHEDULES)
        for name in ("calibrate", "bootstrap", "quantised", "tf32"):
            setattr(args, name, p.flag(name, getattr(self, name)))
        args.device = p.device(self.device)
        args.seed = p.seed(self.random_state)
        return args

    def _model(self):
        """The fitted model, set to run on the current ``device``."""
        check_is_fitted(self)
        self.model_.set_device(_params.device(self.device), _params.flag("tf32", self.tf32))
        return self.model_

    def _check_X(self, X):
        X = validate_data(self, X, reset=False, dtype=_DTYPES, ensure_all_finite=False)
        return _as_float(X)

    def _check_y(self, y, n_rows):
        y = np.asarray(y)
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[0] != n_rows or y.shape[1] != self.n_targets_:
            raise ValueError(
                f"y has shape {y.shape}; {n_rows} rows of {self.n_targets_} target(s) were expected"
            )
        if y.dtype.kind not in "fiub":
            raise ValueError(f"y must be numeric (got dtype {y.dtype})")
        return _as_float(y)

    def _shape(self, a):
        """Drops the target axis (axis 1) for a model fitted on a 1-D y."""
        return a[:, 0] if self._y_ndim == 1 else a

    # ---- training ----------------------------------------------------------------

    def fit(self, X, y):
        """Train the network on X and y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (a DataFrame's column names are kept).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets, 1 to 8 columns.

        Returns
        -------
        self : MDNRegressor
            The fitted estimator.

        Raises
        ------
        ValueError
            Bad input (NaN or infinity, too few rows, too many targets) or
            a bad parameter.
        RuntimeError
            A runtime failure: no GPU for device="cuda", out of memory, a loss
            that stays NaN.
        KeyboardInterrupt
            Ctrl-C: training stops after the current epoch; the estimator keeps
            the state it had before this call.
        """
        before = dict(self.__dict__)
        try:
            self._fit(X, y)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        return self

    def _fit(self, X, y):
        args = self._fit_args()
        y_given = y
        X, y = validate_data(
            self, X, y, dtype=_DTYPES, ensure_all_finite=False, multi_output=True, y_numeric=True,
            ensure_min_samples=2,
        )
        X = _as_float(X)
        y_ndim = y.ndim
        t = _as_float(y.reshape(-1, 1) if y.ndim == 1 else y)
        if t.shape[1] < 1:
            raise ValueError("y has no target columns")
        names = getattr(self, "feature_names_in_", None)
        feature_names = [str(c) for c in names] if names is not None else [f"x{i}" for i in range(X.shape[1])]
        model = _core.fit(
            X, t, feature_names, _target_names(y_given, t.shape[1]), args, _progress if self.verbose else None
        )
        jacobian = model.log_jacobian
        train_nll = model.train_nll.astype(np.float64) + jacobian
        val_nll = model.val_nll.astype(np.float64) + jacobian
        self.__dict__.update(
            model_=model,
            n_targets_=t.shape[1],
            history_={"train_nll": train_nll, "val_nll": val_nll, "best_epoch": model.best_epoch},
            n_iter_=len(train_nll),
            device_=model.trained_on,
            _y_ndim=y_ndim,
        )

    # ---- predictions ------------------------------------------------------------

    def predict(self, X):
        """Predictive mean E[y | x].

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_targets), float64
            The shape follows the y given to ``fit`` (1-D or 2-D).
        """
        mean, _, _ = self._model().statistics(self._check_X(X), [])
        return self._shape(mean)

    def predict_std(self, X):
        """Predictive standard deviation of each target's marginal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        std : ndarray of shape (n_samples,) or (n_samples, n_targets), float64
        """
        _, std, _ = self._model().statistics(self._check_X(X), [])
        return self._shape(std)

    def predict_quantiles(self, X, q=(0.05, 0.5, 0.95)):
        """Quantiles of each target's marginal predictive distribution.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        q : float or sequence of float, default=(0.05, 0.5, 0.95)
            Levels, each in (0, 1), no repeats.

        Returns
        -------
        quantiles : ndarray, float64
            Shape (n_samples, len(q)) for a 1-D y, (n_samples, n_targets,
            len(q)) for a 2-D y; a scalar q drops the last axis. Quantiles
            never cross: they increase with the level.
        """
        scalar = np.ndim(q) == 0
        levels = [float(v) for v in np.atleast_1d(np.asarray(q, dtype=np.float64))]
        _, _, quantiles = self._model().statistics(self._check_X(X), levels)
        quantiles = self._shape(quantiles)
        return quantiles[..., 0] if scalar else quantiles

    def predict_modes(self, X):
        """Every mode of each row's predictive density, highest density first.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        modes : ndarray, float64
            Shape (n_samples, components) for a 1-D y, (n_samples, components,
            n_targets) for a 2-D y (joint modes of the T-dimensional density).
            A row with fewer modes than components is padded with NaN.
        densities : ndarray of shape (n_samples, components), float64
            p(mode | x), NaN past the row's last mode.
        """
        location, density = self._model().modes(self._check_X(X))
        return (location[:, :, 0] if self._y_ndim == 1 else location), density

    def predict_interval(self, X, level=0.9):
        """Highest-density region (HDR) of each target's marginal.

        The smallest set holding probability ``level``: one interval for a
        unimodal marginal, several disjoint ones (at most ``components``)
        for a multimodal one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        level : float, default=0.9
            Coverage, in (0, 1).

        Returns
        -------
        intervals : ndarray, float64
            Shape (n_samples, components, 2) for a 1-D y, (n_samples,
            n_targets, components, 2) for a 2-D y: [lower, upper] ends of
            the intervals, sorted, NaN past the last one.
        """
        ends = self._model().density_regions(self._check_X(X), _params.number("level", level))
        return self._shape(ends)

    def predict_mixture(self, X):
        """The predictive mixture of each row, in original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        alpha : ndarray of shape (n_samples, components), float64
            Component weights; each row sums to 1 (up to the float32 rounding
            of the network's softmax).
        mu : ndarray of shape (n_samples, components, n_targets), float64
            Component means.
        sigma : ndarray of shape (n_samples, components, n_targets), float64
            Component standard deviations (diagonal covariance).
        """
        return self._model().mixture(self._check_X(X))

    def sample(self, X, n_samples=1, random_state=None):
        """Draw from each row's predictive distribution.

        Parameters
        ----------
        X : array-like of shape (n_samples_X, n_features)
        n_samples : int, default=1
            Draws per row.
        random_state : int, RandomState instance or None, default=None
            An int is the library's seed (``mdn sample --seed``): draws depend
            only on it, the row's index and the draw's index.

        Returns
        -------
        draws : ndarray of shape (n_samples_X, n_samples, n_targets), float64
        """
        model = self._model()
        X = self._check_X(X)
        return model.sample(X, _params.integer("n_samples", n_samples), _params.seed(random_state))

    def predict_dist(self, X):
        """The predictive distribution of every row, as one object.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        dist : MixtureDistribution
            The rows' mixtures (``predict_mixture``) with ``mean()``,
            ``std()``, ``var()``, ``ppf(q)``, ``cdf(y)``, ``logpdf(y)``,
            ``pdf(y)``, ``sample(n, random_state)``, ``interval(level)``,
            ``modes()``, ``marginal(d)``, and indexing by row
            (``dist[0]``, ``dist[10:20]``). Each method gives what the
            estimator's method of the same meaning gives on the same X; for a
            model fitted on a 1-D y it returns the same 1-D shapes.
        """
        alpha, mu, sigma = self._model().mixture(self._check_X(X))
        if self._y_ndim == 1:
            mu, sigma = mu[:, :, 0], sigma[:, :, 0]
        return MixtureDistribution(alpha, mu, sigma)

    # ---- scores -----------------------------------------------------------------

    def score_samples(self, X, y):
        """Log-likelihood of each row, log p(y | x), in original units.

        The joint density of all targets at the row's y (the same as
        ``predict_dist(X).logpdf(y)``); ``score`` is its mean.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,), float64
            Higher is better; -inf where a row's density underflows to 0.
        """
        model = self._model()
        X = self._check_X(X)
        return -model.nll(X, self._check_y(y, X.shape[0]))

    def logpdf(self, X, y):
        """log p(y | x) of each row: the same as :meth:`score_samples`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        logpdf : ndarray of shape (n_samples,), float64
        """
        return self.score_samples(X, y)

    def cdf(self, X, y, joint=False):
        """The predictive CDF at y: each target's marginal, or the joint one.

        The marginal CDF is the probability integral transform (PIT), uniform
        on (0, 1) for a calibrated model; it inverts ``predict_quantiles``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        joint : bool, default=False
            False: F_d(y_d | x) of every target. True: the joint
            P(t_1 <= y_1, ..., t_T <= y_T | x).

        Returns
        -------
        cdf : ndarray, float64
            joint=False: the shape of y given to ``fit`` ((n_samples,) or
            (n_samples, n_targets)); joint=True: (n_samples,).
        """
        joint = _params.flag("joint", joint)
        model = self._model()
        X = self._check_X(X)
        out = model.cdf(X, self._check_y(y, X.shape[0]), joint)
        return out if joint else self._shape(out)

    def score(self, X, y):
        """Mean log-likelihood per row, log p(y | x), in original units.

        Higher is better (it is minus the mean NLL that ``mdn eval`` reports).
        This is not the R^2 of other scikit-learn regressors; it is what
        ``cross_val_score`` and ``GridSearchCV`` maximise by default. It is
        ``score_samples(X, y).mean()``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        score : float
            -inf when a row's density underflows to 0.
        """
        return float(np.mean(self.score_samples(X, y)))

    def crps(self, X, y, multioutput="uniform_average"):
        """Mean continuous ranked probability score (closed form), lower is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        multioutput : {"uniform_average", "raw_values"}, default="uniform_average"
            Average over the targets, or one value per target.

        Returns
        -------
        crps : float or ndarray of shape (n_targets,)
            In the units of y; 0 is a perfect point forecast.
        """
        if multioutput not in ("uniform_average", "raw_values"):
            raise ValueError(f"multioutput must be 'uniform_average' or 'raw_values' (got {multioutput!r})")
        model = self._model()
        X = self._check_X(X)
        per_target = model.crps(X, self._check_y(y, X.shape[0])).mean(axis=0)
        return float(per_target.mean()) if multioutput == "uniform_average" else per_target

    # ---- files --------------------------------------------------------------------

    def save(self, path):
        """Write the model to a ``.safetensors`` file (atomically), the CLI's format.

        ``mdn predict --model PATH`` reads it; so does :func:`mdn.load`. The
        feature names are the DataFrame's column names, or x0, x1, ... for an
        array; the targets are a Series' or DataFrame's names, or y (y0, y1, ...).

        Parameters
        ----------
        path : str or os.PathLike

        Raises
        ------
        OSError
            The file cannot be written.
        """
        check_is_fitted(self)
        self.model_.save(os.fspath(path))


def load(path, device="auto"):
    """Read a model file written by ``mdn train`` or :meth:`MDNRegressor.save`.

    Parameters
    ----------
    path : str or os.PathLike
    device : {"auto", "cpu", "cuda"}, default="auto"

    Returns
    -------
    model : MDNRegressor
        Fitted; ``components`` and ``hidden`` come from the file, the other
        parameters are the defaults. A model with one target predicts 1-D
        arrays.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    OSError
        The file is unreadable, truncated, corrupt, foreign or of a newer
        format (the library's message names the file and the problem).
    """
    path = os.fspath(path)
    device = _params.device(device)
    try:
        model = _core.load_model(path, device)
    except OSError as e:
        if not os.path.exists(path):
            missing = FileNotFoundError(str(e))
            missing.errno = errno.ENOENT
            raise missing from None
        raise
    est = MDNRegressor(components=model.components, hidden=tuple(model.hidden), ensemble=model.members,
                       device=device)
    names = list(model.feature_names)
    fitted = dict(
        model_=model,
        n_features_in_=model.n_features,
        n_targets_=model.n_targets,
        history_={
            "train_nll": model.train_nll.astype(np.float64) + model.log_jacobian,
            "val_nll": model.val_nll.astype(np.float64) + model.log_jacobian,
            "best_epoch": model.best_epoch,
        },
        n_iter_=len(model.train_nll),
        device_=model.trained_on,
        _y_ndim=1 if model.n_targets == 1 else 2,
    )
    if names != [f"x{i}" for i in range(len(names))]:
        fitted["feature_names_in_"] = np.asarray(names, dtype=object)
    est.__dict__.update(fitted)
    return est
