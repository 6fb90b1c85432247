"""The scikit-learn estimator over the C++ library (``mdn._core``)."""

from __future__ import annotations

import errno
import json
import numbers
import os
import sys
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _core, _params
from .distribution import MixtureDistribution

__all__ = ["MDNRegressor", "TrainingWarning", "load"]

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

# Component covariances (`mdn train --covariance`, docs/MATH.md "Full covariance").
_COVARIANCES = ("diagonal", "full")


def _as_float(a):
    """float32/float64 arrays pass unchanged (no copy); others become float64
    (an int64 timestamp keeps its last digits, which float32 would round away)."""
    return a if a.dtype in _DTYPES else np.asarray(a, dtype=np.float64)


class ExtrapolationWarning(UserWarning):
    """Inputs far outside the training rows' range (per feature, beyond it by
    more than 10 % of its width): a neural network extrapolates there with
    no warning of its own. Every method that takes X issues one per such
    feature; ``mdn predict`` and ``mdn eval`` say the same on stderr."""


class TrainingWarning(UserWarning):
    """Training went wrong or is on thin ice: it diverged, the model is worse
    than the baseline Gaussian, the best epoch was the first, or the training
    or validation rows are few (docs/PYTHON.md lists the rules). ``fit`` issues
    one per problem; ``training_warnings_`` keeps their messages."""


def _given_target_names(y, n_targets):
    """The names y carries (a DataFrame's columns, a Series' name), or None."""
    columns = getattr(y, "columns", None)  # a DataFrame
    if columns is not None and len(columns) == n_targets:
        return [str(c) for c in columns]
    name = getattr(y, "name", None)  # a Series
    if n_targets == 1 and isinstance(name, str) and name:
        return [name]
    return None


def _refuse_text_columns(X, what="X"):
    """A DataFrame with text, category or date columns: one clear error.

    The estimator reads numbers only; the category one-hot codes, date
    parts and missing indicators that ``mdn train`` makes from such columns
    (docs/DATA.md) are not made here. Without this check numpy's message
    ("could not convert string to float: 'a'") names neither the column nor
    a way out.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return
    bad = [f"'{c}' ({t})" for c, t in zip(X.columns, dtypes) if getattr(t, "kind", "O") not in "fiub"]
    if bad:
        raise ValueError(
            f"{what} has columns that are not numbers: {', '.join(bad)}. MDNRegressor reads numeric features "
            "only; encode them first (e.g. pandas.get_dummies for categories, the day of year as sin/cos for "
            "dates), or train with the command line (mdn train), which encodes them and stores the encoding in "
            "the model (see feature_encoding_ of a model loaded with mdn.load)")


def _feature_encoding(model):
    """What each input column of the model is, as ``mdn info`` shows it (its JSON form).

    A list of dicts, one per input column of the training file: ``name``,
    ``type`` ("number", "category" or "date"), ``had_missing``, and for a
    category its ``categories`` (one one-hot feature each, in order), for a
    date its ``parts`` (features ``name:part``), for a number with missing
    cells its ``fill`` (the training mean; feature ``name:missing`` marks
    them). A model without an encoding reads every feature as a number.
    """
    state = model.__getstate__()
    text = state[14] if len(state) > 14 else ""
    if text:
        return json.loads(text)["columns"]
    return [{"name": n, "type": "number", "had_missing": False} for n in model.feature_names]


def _feature_ranges(model):
    """Each feature's smallest and largest training value, {name: (min, max)}; {} when unknown."""
    state = model.__getstate__()
    lo, hi = np.frombuffer(state[13][3]), np.frombuffer(state[13][4])
    if len(lo) != len(model.feature_names):
        return {}
    return {n: (float(a), float(b)) for n, a, b in zip(model.feature_names, lo, hi)}


def _target_names(y, n_targets):
    given = _given_target_names(y, n_targets)
    if given is not None:
        return given
    return ["y"] if n_targets == 1 else [f"y{i}" for i in range(n_targets)]


def _check_sample_weight(sample_weight, n_rows, what="sample_weight"):
    """Per-row weights as a new float64 array (the caller's is never written),
    scikit-learn's rules with messages that say what is wrong: one finite
    weight >= 0 per row (a number: every row that weight), not all zero.
    None stays None (every row weight 1)."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, (bool, np.bool_)):
        w = np.full(n_rows, float(sample_weight))
    else:
        w = np.asarray(sample_weight)
        if w.dtype.kind not in "fiub":
            raise ValueError(f"{what} must be numeric (got dtype {w.dtype})")
        if w.ndim != 1:
            raise ValueError(f"{what} must be 1-D, one weight per row (got shape {w.shape})")
        if w.shape[0] != n_rows:
            raise ValueError(f"{what} has {w.shape[0]} weights for {n_rows} rows; give one weight per row")
        w = np.array(w, dtype=np.float64, order="C")  # a copy
    bad = np.flatnonzero(~np.isfinite(w))
    if bad.size:
        raise ValueError(f"{what} contains NaN or infinity (index {bad[0]}: {w[bad[0]]}); weights must be finite")
    negative = np.flatnonzero(w < 0)
    if negative.size:
        raise ValueError(f"{what} contains negative weights (index {negative[0]}: {w[negative[0]]}); "
                         "weights must be >= 0")
    if not np.any(w > 0):
        raise ValueError(f"{what}: every weight is zero; at least one row needs a positive weight")
    return w


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


def _weighted_mean(values, sample_weight):
    """The mean over the rows (axis 0) of `values`, weighted: rows of weight 0
    are left out (so a -inf there does not count)."""
    w = _check_sample_weight(sample_weight, values.shape[0])
    if w is None:
        return values.mean(axis=0)
    keep = w > 0
    return np.average(values[keep], axis=0, weights=w[keep])


class MDNRegressor(RegressorMixin, BaseEstimator):
    """Mixture Density Network regressor: the whole conditional distribution p(y | x).

    A tanh MLP maps x to a mixture of ``components`` Gaussians over y (for
    several targets, each component diagonal, or with ``covariance="full"``
    a full covariance: correlated targets). ``predict`` gives the predictive mean;
    the other ``predict_*`` methods, ``sample``, ``score``, ``score_samples``,
    ``cdf`` and ``crps`` use the whole distribution (``predict_conditional``
    the distribution of some targets given others), and ``predict_dist``
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
        in [0, 1); 0 trains on every row for the planned epochs. Not used
        when ``fit`` is given an ``eval_set`` (its rows are the validation
        rows then).
    patience : int, default=-1
        Stop after this many epochs without a better validation NLL (0: never;
        -1: automatic, half the planned epochs, a quarter below 1,000 training
        rows, and at least 10).
    clip_norm : float, default=10.0
        Clip the global gradient norm to this value (0: off).
    calibrate : bool or "auto", default="auto"
        Recalibrate after training: for one target, a monotone map of the
        PIT that every method then applies (``recalibration_``), fitted on
        the validation rows (fewer than 50 of them: on the out-of-fold rows
        of 5-fold cross-fitting); for several targets, a per-target scale of
        the sigmas folded into the model. ``"auto"`` recalibrates ensembles
        (``ensemble > 1``: the spread of their members over-disperses them)
        and not a single network; True and False do so for both
        (``mdn train --calibrate`` / ``--no-calibrate``).
    cross_fit : bool, default=True
        With fewer than 50 validation rows (small data), train 5 more models,
        each without one fifth of the rows, whose out-of-fold rows give the
        conformal interval scores (every target) and, when it runs, the
        recalibration: no rows are spent on calibration alone, and the scores
        come from rows no early stopping chose an epoch on. The fitted
        network is the same either way. False: the validation rows' scores
        (none below 19) and no recalibration of a single network
        (``mdn train --no-cross-fit``; docs/TRAINING.md, "Small sets").
    target_transform : str or sequence of str, default="none"
        Model each target through a transform fitted on the training rows
        (the target transform of ``mdn train``, docs/TRAINING.md "Target
        transforms"): "none", "log" (every value > 0), "yeo-johnson" (lambda
        fitted by maximum likelihood) or "auto" (the measured rule picks one
        per target); one for all targets, or one per target. Every output
        (density, score, quantiles, samples, moments) stays in the original
        units; ``model_`` and ``mdn info`` say which transform was used.
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
    covariance : {"diagonal", "full"}, default="diagonal"
        The covariance of each component over several targets
        (``--covariance``; docs/MATH.md, "Full covariance"): ``"diagonal"``
        (the targets independent within a component, correlated only through
        the choice of component), or ``"full"``: each component also has a
        correlation between every pair of targets, a lower-triangular factor
        A with covariance A A^T (``predict_mixture`` gives it as
        ``scale_tril``). Full needs at least 2 targets and, so far, trains
        and predicts on the CPU (``device="auto"`` is the CPU for it), with
        ``target_transform="none"`` (``tune`` searches none); an ensemble averages
        its members' mixtures and ``calibrate`` scales each target's sigmas
        (the covariances become S Sigma S, correlations kept);
        ``predict_modes`` gives the joint modes; ``cdf(joint=True)`` is
        refused for it. ``score`` is the joint
        log-density; ``predict``, ``predict_std``, ``predict_quantiles``,
        ``predict_interval``, ``cdf`` and ``crps`` are of each target's exact
        marginal; ``sample`` draws correlated targets.
    sigma_floor : float, default=0.0001
        Smallest component sigma, in target standard deviations, in (0, 1)
        (the model's lower sigma bound, ``--sigma-floor``).
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where the library computes: "auto" is the GPU when one is usable,
        otherwise the CPU. "cuda" without a GPU raises RuntimeError.
    tf32 : bool, default=False
        Allow TF32 tensor-core math on the GPU (faster, less exact).
    warm_start : bool, default=False
        When True and the estimator is fitted, ``fit`` starts from the
        fitted weights and standardisation statistics (``mdn train
        --init``) instead of fresh ones, then runs a whole new training run
        (its own schedule and early stopping) on the data it is given. X and
        y must have the fitted numbers of features and targets (and column
        names, where given), and ``components``, ``hidden``, ``ensemble`` and
        ``sigma_floor`` must be unchanged; otherwise ``fit`` raises
        ValueError. ``mdn.load(path).set_params(warm_start=True).fit(X, y)``
        fine-tunes a saved model.
    tune : int, default=0
        Search over this many configurations before training (``mdn train
        --tune``; 0: none): the default recipe and ``tune - 1`` points of a
        scrambled Halton sequence over components, depth, width, learning
        rate, weight decay, target and input noise and batch size, scored by
        held-out NLL with 5-fold cross-validation (3 random 20 % hold-outs
        above 20,000 rows) and successive halving; the model then trains on
        all rows with the best (docs/TRAINING.md, "Model search"). The
        search log is ``tune_results_``; the other parameters are the
        recipe the search starts from. Not with ``warm_start``.
    tune_time : float or None, default=None
        Cap the search's wall time in seconds (``--tune-time``): no new
        training starts after it (at least one runs).
    tune_folds : {"random", "ordered"}, default="random"
        How the search splits the rows (``--tune-folds``): random folds, or,
        for rows in time order, blocks of consecutive rows, so that each
        split holds out a stretch of time as a later test period would.
    random_state : int, RandomState instance or None, default=None
        Seeds the split, initialisation and minibatch order. An int is the
        library's seed itself: the same int, data and thread count give the
        same model as ``mdn train --seed`` on the CPU.
    verbose : bool, default=False
        Print one progress line per epoch on stderr, as ``mdn train`` does
        (NLL per row in original target units).

    Every parameter but ``verbose`` and ``warm_start`` is the ``mdn train``
    option of the same name (``--batch-size`` is ``batch_size``), with the
    library's default.
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
        Number of epochs run (by the last ``fit``).
    training_warnings_ : list of str
        What went wrong in the last training run (divergence, a model worse
        than the baseline Gaussian, the best epoch the first, few training or
        validation rows), one message per problem; empty when nothing did.
        ``fit`` also issues each as a :class:`TrainingWarning` (a
        UserWarning). A loaded model has the warnings saved in its file.
    device_ : str
        The backend that trained the model, e.g. ``"cpu (2 threads)"``.
    feature_encoding_ : list of dict
        What ``mdn info`` shows of each input column of the training data:
        ``name``, ``type`` ("number", "category", "date"), ``had_missing``,
        and ``categories`` (a category: one feature ``name=value`` each),
        ``parts`` (a date: features ``name:doy_sin`` ...), ``fill`` (a
        number with missing cells: the training mean, and a feature
        ``name:missing``). A model trained here reads numbers only (a
        DataFrame with text columns is refused in ``fit``), so every entry
        is a number; a model of ``mdn train`` loaded with :func:`mdn.load`
        shows its encoding, and ``feature_names_in_`` the encoded features
        its ``predict`` takes.
    feature_ranges_ : dict
        ``{feature name: (min, max)}`` over the training rows.
    target_names_ : list of str
        The target names.
    tune_results_ : list of dict or None
        With ``tune``: every trial of the search, as ``mdn train
        --tune-log`` writes it (``trial``, ``config``, ``rungs`` with each
        rung's ``budget``, ``split_scores`` and ``mean_score``,
        ``mean_score``, ``eliminated_after_rung`` (None: not eliminated),
        ``seconds``); None without ``tune``.
    tune_best_ : dict or None
        With ``tune``: the chosen ``trial``, its ``config``, ``mean_score``
        and the ``rung`` it was scored at; None without ``tune``.

    Notes
    -----
    Inputs: float32 and float64 arrays (C or Fortran order, or strided) are
    read once by the library into its own float64 row-major buffer (the one
    copy it needs); other dtypes are converted to float64 by numpy first. X and
    y are standardised in double precision inside ``fit`` with the training
    split's statistics, which are stored in the model, and only then rounded
    to float32 for the network; every output is in original units, float64.

    Interrupting ``fit`` (Ctrl-C) stops training at the end of the current
    epoch (during the recalibration's cross-fitting, before the next fold
    model, which then stops after its first epoch) and raises
    KeyboardInterrupt; the estimator is left exactly as it was before the
    call (unfitted, or with its previous fit). The same holds for any other
    error in ``fit``. With ``verbose=True`` each fold of that cross-fitting
    is announced on stderr.

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
        cross_fit=_DEFAULTS.cross_fit,
        target_transform=_DEFAULTS.target_transform,
        ensemble=_DEFAULTS.ensemble,
        bootstrap=_DEFAULTS.bootstrap,
        quantised=_DEFAULTS.quantised,
        sigma_floor=_DEFAULTS.sigma_floor,
        covariance=_DEFAULTS.covariance,
        device=_DEFAULTS.device,
        tf32=_DEFAULTS.tf32,
        warm_start=False,
        random_state=None,
        verbose=False,
        tune=0,
        tune_time=None,
        tune_folds="random",
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
        self.cross_fit = cross_fit
        self.target_transform = target_transform
        self.ensemble = ensemble
        self.bootstrap = bootstrap
        self.quantised = quantised
        self.sigma_floor = sigma_floor
        self.covariance = covariance
        self.device = device
        self.tf32 = tf32
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.tune = tune
        self.tune_time = tune_time
        self.tune_folds = tune_folds

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

    def __setstate__(self, state):
        # An estimator pickled before `covariance` existed was diagonal.
        state.setdefault("covariance", "diagonal")
        state.setdefault("cross_fit", True)
        state.setdefault("tune_folds", "random")  # and before cross_fit, it cross-fitted as now
        super().__setstate__(state)

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
        args.covariance = p.choice("covariance", self.covariance, _COVARIANCES)
        for name in ("bootstrap", "quantised", "tf32", "cross_fit"):
            setattr(args, name, p.flag(name, getattr(self, name)))
        if isinstance(self.calibrate, str) and self.calibrate == "auto":
            args.calibrate = "auto"
        elif isinstance(self.calibrate, (bool, np.bool_)):
            args.calibrate = "on" if self.calibrate else "off"
        else:
            raise ValueError(f'calibrate must be True, False or "auto" (got {self.calibrate!r})')
        transform = self.target_transform
        if not isinstance(transform, str):
            try:
                transform = ",".join(transform)
            except TypeError:
                raise ValueError('target_transform must be "none", "log", "yeo-johnson", "auto" or a sequence of them '
                                 f"(got {self.target_transform!r})") from None
        args.target_transform = transform
        args.device = p.device(self.device)
        args.seed = p.seed(self.random_state)
        args.tune = p.integer("tune", self.tune)
        if args.tune < 0:
            raise ValueError(f"tune must be 0 (no search) or a number of configurations >= 1 (got {self.tune!r})")
        if self.tune_time is not None:
            args.tune_time = p.number("tune_time", self.tune_time)
            if not args.tune_time > 0:
                raise ValueError(f"tune_time must be None or a number of seconds > 0 (got {self.tune_time!r})")
        args.tune_folds = p.choice("tune_folds", self.tune_folds, ("random", "ordered"))
        if args.covariance == "full":
            self._check_full_covariance(args)
        return args

    def _check_full_covariance(self, args):
        """What covariance="full" does not support yet, refused before any work
        (as ``mdn train --covariance full`` refuses it)."""
        refused = [
            (args.target_transform.replace(",", "").replace("none", "") != "",
             f"target_transform={self.target_transform!r} (use \"none\")"),
        ]
        for bad, what in refused:
            if bad:
                raise ValueError(f'covariance="full" is not supported with {what}')

    def _model(self):
        """The fitted model, set to run on the current ``device``."""
        check_is_fitted(self)
        self.model_.set_device(_params.device(self.device), _params.flag("tf32", self.tf32))
        return self.model_

    @property
    def feature_encoding_(self):
        """Per input column of the training data: its type and encoding (see :func:`_feature_encoding`)."""
        check_is_fitted(self)
        return _feature_encoding(self.model_)

    @property
    def feature_ranges_(self):
        """{feature name: (min, max)} of the training rows, as ``mdn info`` shows them."""
        check_is_fitted(self)
        return _feature_ranges(self.model_)

    @property
    def target_names_(self):
        """The target names: a DataFrame's or Series' in ``fit``, y (y0, y1, ...) otherwise."""
        check_is_fitted(self)
        return list(self.model_.target_names)

    def _check_X(self, X):
        _refuse_text_columns(X)
        X = _as_float(validate_data(self, X, reset=False, dtype=_DTYPES, ensure_all_finite=False))
        self._warn_outside_training_range(X)
        return X

    def _warn_outside_training_range(self, X):
        """An ExtrapolationWarning per feature with rows far outside the
        training range, as ``mdn predict`` warns (docs/PREDICT.md)."""
        counts = self._model().outside_training_range(X)
        names = self._model().feature_names
        for name, count in zip(names, counts):
            if count > 0:
                warnings.warn(
                    f"{count} of {X.shape[0]} rows have feature '{name}' outside its training range by more than "
                    "10 % of the range's width: the model extrapolates there",
                    ExtrapolationWarning,
                    stacklevel=4,
                )

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

    def fit(self, X, y, sample_weight=None, eval_set=None):
        """Train the network on X and y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (a DataFrame's column names are kept).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets, 1 to 8 columns.
        sample_weight : array-like of shape (n_samples,) or float, default=None
            Per-row weights (``mdn train --weight``): training minimises the
            weighted mean NLL, and the standardisation statistics, the
            validation NLL (of the random split) and the calibration are
            weighted too. A row of weight 0 has no influence at all (it is
            dropped before the split); integer weights count a row as that
            many copies of it, in expectation (minibatches draw rows, not
            copies, so the fit is not identical to one on repeated rows).
            Finite, >= 0, not all 0. None: every row weight 1.
        eval_set : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), default=None
            Validation rows of your own (``mdn train --val-data``): early
            stopping, the calibration and ``history_["val_nll"]`` use them
            instead of a random ``val_fraction`` split, which is then not
            made (every row of X trains). The same features and targets as
            X and y; ``sample_weight_val`` weights the validation NLL.

        Returns
        -------
        self : MDNRegressor
            The fitted estimator.

        Raises
        ------
        ValueError
            Bad input (NaN or infinity, too few rows, too many targets, bad
            weights, an eval_set of other columns; with warm_start, data or
            parameters that do not fit the fitted model) or a bad parameter.
        RuntimeError
            A runtime failure: no GPU for device="cuda", out of memory, a loss
            that stays NaN.
        KeyboardInterrupt
            Ctrl-C: training stops after the current epoch; the estimator keeps
            the state it had before this call.

        Warns
        -----
        TrainingWarning
            A UserWarning for each problem of the training run
            (``training_warnings_``): divergence, a model worse than the
            baseline Gaussian, the best epoch the first, few training or
            validation rows.
        """
        before = dict(self.__dict__)
        try:
            self._fit(X, y, sample_weight, eval_set)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        for message in self.training_warnings_:
            warnings.warn(message, TrainingWarning, stacklevel=2)
        return self

    def _warm_model(self, args):
        """The fitted model to continue from (warm_start), or None; ValueError
        when a parameter that shapes the network changed since."""
        if not _params.flag("warm_start", self.warm_start) or not self.__sklearn_is_fitted__():
            return None
        model = self.model_
        now = {"components": args.components, "hidden": tuple(args.hidden), "ensemble": args.ensemble,
               "covariance": args.covariance}
        fitted = {"components": model.components, "hidden": tuple(model.hidden), "ensemble": model.members,
                  "covariance": model.covariance}
        for name in now:
            if now[name] != fitted[name]:
                raise ValueError(
                    f"warm_start=True continues the fitted model, which has {name}={fitted[name]!r}, but "
                    f"{name} is now {now[name]!r}; set warm_start=False to train a new model"
                )
        return model

    def _fit(self, X, y, sample_weight, eval_set):
        _refuse_text_columns(X)
        args = self._fit_args()
        init = self._warm_model(args)
        y_given = y
        try:
            X, y = validate_data(
                self, X, y, reset=init is None, dtype=_DTYPES, ensure_all_finite=False, multi_output=True,
                y_numeric=True, ensure_min_samples=2,
            )
        except ValueError as e:
            if init is None:
                raise
            raise ValueError(f"{e} (warm_start=True continues the fitted model, so X must have the columns it "
                             "was fitted on; set warm_start=False to train a new model)") from None
        X = _as_float(X)
        y_ndim = y.ndim
        t = _as_float(y.reshape(-1, 1) if y.ndim == 1 else y)
        if t.shape[1] < 1:
            raise ValueError("y has no target columns")
        if args.covariance == "full" and t.shape[1] < 2:
            raise ValueError(f'covariance="full" needs at least 2 target columns (y has {t.shape[1]}): it models '
                             'the correlation between targets; use covariance="diagonal" for one target')
        weights = _check_sample_weight(sample_weight, X.shape[0])
        if init is None:
            names = getattr(self, "feature_names_in_", None)
            feature_names = [str(c) for c in names] if names is not None else [f"x{i}" for i in range(X.shape[1])]
            target_names = _target_names(y_given, t.shape[1])
        else:
            feature_names, target_names = self._warm_names(y_given, t.shape[1])
        validation = self._check_eval_set(eval_set, t.shape[1])
        try:
            model = _core.fit(
                X, t, feature_names, target_names, args, _progress if self.verbose else None, weights, *validation,
                init,
            )
        except ValueError as e:
            if init is None or "the initial model" not in str(e):
                raise
            # The library's check of TrainHooks::init_model (sigma_floor, say).
            raise ValueError(f"warm_start=True continues the fitted model, but {e}; set warm_start=False to train "
                             "a new model") from None
        jacobian = model.log_jacobian
        train_nll = model.train_nll.astype(np.float64) + jacobian
        val_nll = model.val_nll.astype(np.float64) + jacobian
        self.__dict__.update(
            model_=model,
            n_targets_=t.shape[1],
            history_={"train_nll": train_nll, "val_nll": val_nll, "best_epoch": model.best_epoch},
            n_iter_=len(train_nll),
            device_=model.trained_on,
            training_warnings_=list(model.warnings),
            tune_results_=json.loads(model.tune_log)["trials"] if model.tune_log else None,
            tune_best_=json.loads(model.tune_log)["best"] if model.tune_log else None,
            _y_ndim=y_ndim,
        )

    def _warm_names(self, y, n_targets):
        """The fitted model's column names, for continuing it (warm_start):
        validate_data has checked X's against them; y's, where y has any,
        must be the same, and so must the number of targets."""
        model = self.model_
        if n_targets != model.n_targets:
            raise ValueError(
                f"y has {n_targets} target column(s) but the fitted model has {model.n_targets} (warm_start=True "
                "continues the fitted model; set warm_start=False to train a new model)"
            )
        given = _given_target_names(y, n_targets)
        if given is not None and given != list(model.target_names):
            raise ValueError(
                f"y's column names {given} are not those the model was fitted on {list(model.target_names)} "
                "(warm_start=True continues the fitted model; set warm_start=False to train a new model)"
            )
        return list(model.feature_names), list(model.target_names)

    def _check_eval_set(self, eval_set, n_targets):
        """(X_val, y_val, w_val) for _core.fit from fit's eval_set, checked
        against the training data just validated; (None, None, None) without."""
        if eval_set is None:
            return None, None, None
        if not isinstance(eval_set, (tuple, list)) or len(eval_set) not in (2, 3):
            raise ValueError(
                "eval_set must be a tuple (X_val, y_val) or (X_val, y_val, sample_weight_val) "
                f"(got {type(eval_set).__name__}{f' of length {len(eval_set)}' if isinstance(eval_set, (tuple, list)) else ''})"
            )
        X_val, y_val = eval_set[0], eval_set[1]
        w_val = eval_set[2] if len(eval_set) == 3 else None
        if X_val is None or y_val is None:
            raise ValueError("eval_set needs both X_val and y_val (got None)")
        n_features = self.n_features_in_
        width = np.shape(X_val)[1] if np.ndim(X_val) == 2 else None
        if width is not None and width != n_features:
            raise ValueError(f"eval_set: X_val has {width} features but X has {n_features}; the validation rows "
                             "must have the training data's features, in the same order")
        try:
            X_val = validate_data(self, X_val, reset=False, dtype=_DTYPES, ensure_all_finite=False)
        except ValueError as e:
            raise ValueError(f"eval_set: X_val: {e}") from None
        X_val = _as_float(X_val)
        t_val = np.asarray(y_val)
        if t_val.ndim == 1:
            t_val = t_val.reshape(-1, 1)
        if t_val.ndim != 2 or t_val.shape[1] != n_targets:
            raise ValueError(
                f"eval_set: y_val has shape {np.shape(y_val)}; {n_targets} target column(s) were expected, as in y"
            )
        if t_val.shape[0] != X_val.shape[0]:
            raise ValueError(f"eval_set: X_val has {X_val.shape[0]} rows but y_val has {t_val.shape[0]}")
        if t_val.dtype.kind not in "fiub":
            raise ValueError(f"eval_set: y_val must be numeric (got dtype {t_val.dtype})")
        t_val = _as_float(t_val)
        return X_val, t_val, _check_sample_weight(w_val, X_val.shape[0], "eval_set's sample_weight")

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
        model = self._model()
        location, density = model.modes(self._check_X(X))
        return (location[:, :, 0] if self._y_ndim == 1 else location), density

    def predict_interval(self, X, level=0.9, method="hdr"):
        """Prediction intervals of each target's marginal at ``level``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        level : float, default=0.9
            Coverage, in (0, 1).
        method : {"hdr", "conformal", "central"}, default="hdr"
            ``"hdr"``: the highest-density region, the smallest set holding
            probability ``level`` (one interval for a unimodal marginal,
            several disjoint ones, at most ``components``, for a multimodal
            one). ``"conformal"``: the split-conformal central interval, which
            covers a new row with probability at least ``level`` whenever it
            is exchangeable with the calibration rows, whatever the model
            (docs/PREDICT.md); the scores come from the validation rows of
            ``fit`` or from ``calibrate_intervals``, and a ValueError says when there
            are none. ``"central"``: the model's own central interval
            [q((1 - level) / 2), q((1 + level) / 2)], without a guarantee.

        Returns
        -------
        intervals : ndarray, float64
            Shape (n_samples, k, 2) for a 1-D y, (n_samples, n_targets, k, 2)
            for a 2-D y: [lower, upper] ends of the intervals, sorted, NaN
            past the last one; k = ``components`` for "hdr", 1 otherwise. A
            conformal end is -inf / inf where the calibration rows are too
            few for the level.
        """
        method = _params.choice("method", method, ("hdr", "conformal", "central"))
        level = _params.number("level", level)
        model = self._model()
        X = self._check_X(X)
        if method == "hdr":
            return self._shape(model.density_regions(X, level))
        if method == "conformal":
            lo, hi = model.conformal_intervals(X, level)
        else:
            if not 0.0 < level < 1.0:
                raise ValueError(f"level must lie in (0, 1) (got {level})")
            _, _, q = model.statistics(X, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
            lo, hi = q[:, :, 0], q[:, :, 1]
        return self._shape(np.stack([lo, hi], axis=-1)[:, :, np.newaxis, :])

    def calibrate_intervals(self, X, y):
        """Recalibrate on rows the model did not train on, as ``mdn calibrate``.

        Refits the conformal interval scores — the split-conformal way to the
        exact coverage guarantee of ``predict_interval(X, level,
        method="conformal")`` — and, for a one-target model given at least
        50 rows, the recalibration (the PIT map of ``recalibration_``) that
        every method applies: the way to adapt the model when new data differ
        from the training data. The network is unchanged. At least 19 rows;
        at most 10,000 are kept for the scores (a random subset).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : MDNRegressor
        """
        model = self._model()
        X = self._check_X(X)
        model.calibrate(X, self._check_y(y, X.shape[0]))
        return self

    @property
    def recalibration_(self):
        """The recalibration every method applies: per target, the knots
        G(j / M), j = 0..M, of the monotone map G of the PIT (the predictive
        CDF is G(F(y | x)) instead of the mixture's F); an empty list when
        the model is not recalibrated. See ``MixtureDistribution(knots=)``."""
        return [np.asarray(k, dtype=np.float64) for k in self._model().recalibration]

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
            Component standard deviations of each target (for
            ``covariance="full"``: the marginal ones, sqrt of the covariance's
            diagonal, the norms of scale_tril's rows).
        scale_tril : ndarray of shape (n_samples, components, n_targets, n_targets), float64
            Only for a ``covariance="full"`` model (a 4-tuple is returned
            then): each component's lower-triangular Cholesky factor A of its
            covariance, Sigma = A A^T, zeros above the diagonal, diagonal > 0
            — the ``scale_tril`` of ``torch.distributions.MultivariateNormal``
            and the ``tril_k_NAMEi_NAMEj`` columns of ``mdn predict --params``.

        Notes
        -----
        The network's own mixture: a recalibrated model
        (``recalibration_`` not empty) maps its CDF through the PIT map on
        top, as ``predict_dist`` and every other method do. A model fitted
        with ``target_transform`` gives the mixture of u = g(y) here (see
        docs/MODEL_FORMAT.md, "A target transform"); every other method
        answers in y.
        """
        alpha, mu, sigma, scale_tril = self._model().mixture(self._check_X(X))
        return (alpha, mu, sigma) if scale_tril is None else (alpha, mu, sigma, scale_tril)

    def predict_conditional(self, X, given):
        """The distribution of the other targets given observed values of some.

        p(t_U | x, t_O = y_O), what ``mdn predict --given`` computes: again a
        Gaussian mixture, whose weights move to the components that explain
        the observed values; with ``covariance="full"`` each component's
        means and covariance also move (the partitioned-Gaussian formulas,
        docs/PREDICT.md "Conditioning on observed targets"), with diagonal
        components only the weights change.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        given : dict
            ``{target: values}``: a target by name (``target_names_``) or
            index, and its observed values, one per row of X ((n_samples,))
            or one for every row (a scalar). At least one target, not all.

        Returns
        -------
        dist : MixtureDistribution
            The conditional mixtures over the targets not given, in their
            order in ``target_names_``, always with a target axis ((n, K, T')
            means): ``mean()``, ``std()``, ``ppf(q)``, ``interval(level)``,
            ``sample(n)``, ``logpdf(y)`` ... of the conditional
            distribution. Full covariance with two or more targets left
            carries their factors (``scale_tril``).

        Raises
        ------
        ValueError
            An unknown target, every target given, values of the wrong
            shape or not finite, or values of zero density under every
            component (the conditional is undefined); a recalibrated
            one-target model has nothing to condition.
        """
        model = self._model()
        X = self._check_X(X)
        names = list(model.target_names)
        if not isinstance(given, dict) or not given:
            raise ValueError("given must be a dict {target name or index: observed values} with at least one target")
        columns = {}
        for key, values in given.items():
            d = self._target_index(key, names)
            if d in columns:
                raise ValueError(f"given names target {names[d]!r} twice")
            v = np.asarray(values, dtype=np.float64)
            if v.ndim == 0:
                v = np.full(X.shape[0], float(v))
            if v.shape != (X.shape[0],):
                raise ValueError(f"given[{key!r}] has shape {v.shape}; one value per row of X ({X.shape[0]},) or "
                                 "a scalar was expected")
            columns[d] = v
        observed = sorted(columns)
        values = np.ascontiguousarray(np.column_stack([columns[d] for d in observed]))
        alpha, mu, sigma, scale_tril, transforms = model.conditional(X, observed, values)
        return MixtureDistribution(alpha, mu, sigma, transforms=transforms or None, scale_tril=scale_tril)

    @staticmethod
    def _target_index(key, names):
        """The index of target `key` (a name in `names` or an int index)."""
        if isinstance(key, str):
            if key not in names:
                raise ValueError(f"given: no target named {key!r}; the targets are {names}")
            return names.index(key)
        if isinstance(key, (numbers.Integral, np.integer)) and not isinstance(key, (bool, np.bool_)):
            if not -len(names) <= key < len(names):
                raise ValueError(f"given: target index {key} is out of range for {len(names)} target(s)")
            return int(key) % len(names)
        raise ValueError(f"given: a target is a name or an index (got {key!r})")

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
            model fitted on a 1-D y it returns the same 1-D shapes. A
            ``covariance="full"`` model's carries the factors
            (``dist.scale_tril``, as ``predict_mixture`` gives them).
        """
        model = self._model()
        alpha, mu, sigma, scale_tril = model.mixture(self._check_X(X))
        if self._y_ndim == 1:
            mu, sigma = mu[:, :, 0], sigma[:, :, 0]
        return MixtureDistribution(alpha, mu, sigma, knots=model.recalibration or None,
                                   transforms=model.target_transforms or None, scale_tril=scale_tril)

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
            Higher is better. Computed in log space, so a row far from every
            component gets a large negative value rather than -inf.
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

    def score(self, X, y, sample_weight=None):
        """Mean log-likelihood per row, log p(y | x), in original units.

        Higher is better (it is minus the mean NLL that ``mdn eval`` reports).
        This is not the R^2 of other scikit-learn regressors; it is what
        ``cross_val_score`` and ``GridSearchCV`` maximise by default. It is
        ``score_samples(X, y).mean()``, or with weights
        ``np.average(score_samples(X, y), weights=sample_weight)`` (the
        weighted NLL of ``mdn eval --weight``, negated).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights, as in ``fit``: a row of weight 0 does not count
            (even where its density underflows), weight 2 counts twice.

        Returns
        -------
        score : float
            The weighted mean of score_samples (computed in log space: a row
            far from every component lowers it a lot, but not to -inf).
        """
        log_likelihood = self.score_samples(X, y)
        return float(_weighted_mean(log_likelihood, sample_weight))

    def crps(self, X, y, multioutput="uniform_average", sample_weight=None):
        """Mean continuous ranked probability score (closed form), lower is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        multioutput : {"uniform_average", "raw_values"}, default="uniform_average"
            Average over the targets, or one value per target.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights of the mean over the rows, as in ``score``.

        Returns
        -------
        crps : float or ndarray of shape (n_targets,)
            In the units of y; 0 is a perfect point forecast.
        """
        if multioutput not in ("uniform_average", "raw_values"):
            raise ValueError(f"multioutput must be 'uniform_average' or 'raw_values' (got {multioutput!r})")
        model = self._model()
        X = self._check_X(X)
        per_target = _weighted_mean(model.crps(X, self._check_y(y, X.shape[0])), sample_weight)
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
        Fitted; ``components``, ``hidden``, ``ensemble`` and
        ``covariance`` come from the file, the other
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
                       covariance=model.covariance, device=device)
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
        training_warnings_=list(model.warnings),
        _y_ndim=1 if model.n_targets == 1 else 2,
    )
    if names != [f"x{i}" for i in range(len(names))]:
        fitted["feature_names_in_"] = np.asarray(names, dtype=object)
    est.__dict__.update(fitted)
    return est
